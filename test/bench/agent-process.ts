/*
 * The agent as users run it: `node agent/main.ts` in its own process, so its memory and its CPU are
 * its own and the load comes from outside. Its log goes to a file: a pipe the runner is too busy to
 * drain would block the agent's (synchronous) stdout writes and slow it down.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { run } from '../support/docker.ts'
import { stopChild } from '../support/process.ts'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const AGENT_ENTRY = join(REPO_ROOT, 'agent', 'main.ts')
const CLI_ENTRY = join(REPO_ROOT, 'agent', 'cli', 'main.ts')
const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 10_000

export interface AgentProcess {
  url: string
  pid: number
  dataDir: string
  /** Sends SIGTERM (SIGKILL after a while) and deletes the data directory. */
  stop(): Promise<void>
}

/** A fresh data directory; the CLI creates the signing key in it on first use. */
export function makeDataDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-data-`))
}

/**
 * Starts the agent on a free port with `dataDir` and `env` on top of a minimal environment, and
 * resolves once `GET /healthz` answers 200.
 */
export async function startAgentProcess(dataDir: string, env: Record<string, string> = {}): Promise<AgentProcess> {
  const logPath = join(dataDir, 'agent.log')
  const log = openSync(logPath, 'w')
  const child = spawn(process.execPath, [AGENT_ENTRY], {
    cwd: REPO_ROOT,
    stdio: ['ignore', log, log],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
      PORT: '0',
      IP: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_FORMAT: 'json',
      ...env,
    },
  })
  closeSync(log)
  const stop = async (): Promise<void> => {
    await stopChild(child, STOP_TIMEOUT_MS)
    await rm(dataDir, { recursive: true, force: true })
  }
  try {
    const url = await waitForUrl(child, logPath)
    await waitForHealthy(child, url, logPath)
    return { url, pid: child.pid ?? 0, dataDir, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

const LogLineSchema = z.object({ message: z.string(), url: z.string().optional() })

async function logLines(logPath: string): Promise<z.infer<typeof LogLineSchema>[]> {
  const text = await readFile(logPath, 'utf8').catch(() => '')
  return text.split('\n').flatMap((line) => {
    try {
      const parsed = LogLineSchema.safeParse(JSON.parse(line))
      return parsed.success ? [parsed.data] : []
    } catch {
      return []
    }
  })
}

async function waitForUrl(child: ChildProcess, logPath: string): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    await assertAlive(child, logPath)
    const listening = (await logLines(logPath)).find((line) => line.message === 'dockhook agent listening' && line.url)
    if (listening?.url) return listening.url
    await pause(50)
  }
  throw new Error(`the agent did not log its address within ${START_TIMEOUT_MS} ms:\n${await tail(logPath)}`)
}

async function waitForHealthy(child: ChildProcess, url: string, logPath: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  let last = 'no answer'
  while (Date.now() < deadline) {
    await assertAlive(child, logPath)
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })
      last = `${response.status} ${await response.text()}`
      if (response.status === 200) return
    } catch (error) {
      last = String(error)
    }
    await pause(20)
  }
  throw new Error(`the agent's /healthz did not answer 200 within ${START_TIMEOUT_MS} ms (last: ${last})`)
}

async function assertAlive(child: ChildProcess, logPath: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) return
  throw new Error(`the agent exited (${child.signalCode ?? child.exitCode}) during start-up:\n${await tail(logPath)}`)
}

async function tail(logPath: string): Promise<string> {
  return (await readFile(logPath, 'utf8').catch(() => '')).slice(-2000)
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

const MintedSchema = z.object({ token: z.string().startsWith('v4.public.') })

export interface MintOptions {
  containers: readonly string[]
  action: 'pull-recreate' | 'recreate' | 'restart'
  /** Keep the replaced image (the docker CLI sequence it is compared with removes none). */
  keepImage?: boolean
}

/** Mints a deploy token with the CLI, signed by the key in `dataDir` (created when missing). */
export async function mintToken(dataDir: string, options: MintOptions): Promise<string> {
  const args = [CLI_ENTRY, 'token', 'create', ...options.containers.flatMap((name) => ['--container', name]), '--action', options.action, '--json']
  if (options.keepImage) args.push('--no-cleanup')
  const output = await run(process.execPath, args, { env: { DATA_DIR: dataDir } })
  const parsed = MintedSchema.safeParse(JSON.parse(output))
  // The output holds the token: say what was wrong with it, never show it.
  if (!parsed.success) throw new Error('`token create --json` printed no v4.public token')
  return parsed.data.token
}
