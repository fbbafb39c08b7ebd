/*
 * `curl -fsS <URL>/s | bash -s <token>` as a CI job runs it, against the real agent (startAgent, a
 * temp DATA_DIR), the real Engine and the test registry: progress shows while the deploy runs, and
 * the exit code says how it ended.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../agent/config.ts'
import { createLogger } from '../../agent/logger.ts'
import { startAgent, type RunningAgent } from '../../agent/server.ts'
import { openKeyRing } from '../../agent/store/keys.ts'
import { mintToken } from '../../src/tokens/mint.ts'
import { buildImage, cleanup, docker, dockerHost, hostAddress, httpGet, registry, runContainer, uniqueName } from '../support/harness.ts'

/** DEPLOY_STABLE_SECONDS: a container without a healthcheck must stay up this long, so a deploy takes at least this. */
const STABLE_SECONDS = 1
const LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z - /

let agent: RunningAgent
let dataDir: string
const agentLogs: string[] = []

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dh-scripts-'))
  const config = loadConfig({
    // With PORT=0 and no URL, the agent puts its real address into the scripts.
    PORT: '0',
    DATA_DIR: dataDir,
    DOCKER_HOST: dockerHost(),
    DEPLOY_STABLE_SECONDS: String(STABLE_SECONDS),
    DEPLOY_HEALTH_TIMEOUT: '30',
    AUTH_FAILURE_LIMIT: '0',
    SCRIPT_TIMEOUT: '120',
  })
  agent = await startAgent(config, createLogger('json', (line) => agentLogs.push(line)))
})

afterAll(async () => {
  await agent?.close()
  await cleanup()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

async function tokenFor(containerNames: string[]): Promise<string> {
  // As `dockhook token create` does it: its own key ring on the agent's data dir.
  const ring = await openKeyRing(dataDir)
  return (await mintToken({ containerNames, action: 'pull-recreate', cleanup: false, expiresIn: 3600 }, ring.current(), new Date())).token
}

interface Line {
  text: string
  /** ms since the script was started */
  at: number
}

interface Run {
  code: number | null
  stdout: Line[]
  stderr: string
  /** ms from start to exit */
  exitAt: number
}

/** The one-liner from the index page, token as the argument; stdout is timed line by line as it arrives. */
function runHelper(token: string): Promise<Run> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', 'curl -fsS "$1/s" | bash -s "$2"', 'helper', agent.url, token], { stdio: ['ignore', 'pipe', 'pipe'] })
    const stdout: Line[] = []
    let partial = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const at = performance.now() - started
      const lines = (partial + chunk).split('\n')
      partial = lines.pop() ?? ''
      for (const text of lines) stdout.push({ text, at })
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (partial) stdout.push({ text: partial, at: performance.now() - started })
      resolve({ code, stdout, stderr, exitAt: performance.now() - started })
    })
  })
}

/** A running container from `<registry>/<name>:latest` (v1), with v2 pushed under the same tag. */
async function appWithNewerImage(next: { content: string; cmd?: string[] }): Promise<{ name: string; ref: string }> {
  const ref = `${registry()}/${uniqueName('helper')}:latest`
  const v1 = await buildImage(ref, { content: 'v1', push: true })
  const { name } = await runContainer({ image: ref, args: ['-p', '127.0.0.1::80'] })
  await buildImage(ref, { ...next, push: true })
  // The local tag goes back to v1, so only a pull can bring the new image.
  await docker(['tag', v1, ref])
  return { name, ref }
}

describe('the bash helper (/s) against the agent', () => {
  it('prints progress while the deploy runs and exits 0 once the container runs the new image', async () => {
    const app = await appWithNewerImage({ content: 'v2' })
    expect(await httpGet(`http://${await hostAddress(app.name)}/`)).toBe('v1')

    const run = await runHelper(await tokenFor([app.name]))
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const logLines = run.stdout.filter((line) => LOG_LINE.test(line.text))
    expect(logLines.length).toBeGreaterThanOrEqual(2)
    // Live, not at the end: the first step is on screen while the new container must still prove
    // itself for STABLE_SECONDS.
    expect(run.exitAt - logLines[0]!.at).toBeGreaterThanOrEqual(STABLE_SECONDS * 1000 * 0.9)
    expect(run.stdout.at(-1)?.text).toMatch(/^Deployment \S+ succeeded$/)
    expect(run.stdout.map((line) => line.text)).toContainEqual(expect.stringMatching(new RegExp(`${app.name}: succeeded`)))

    expect(await httpGet(`http://${await hostAddress(app.name)}/`)).toBe('v2')
  })

  it('exits 1 when the new container fails and is rolled back, and the old one keeps serving', async () => {
    const app = await appWithNewerImage({ content: 'v3', cmd: ['/bin/sh', '-c', 'exit 1'] })

    const run = await runHelper(await tokenFor([app.name]))
    expect(run.code).toBe(1)
    expect(run.stdout.map((line) => line.text)).toContainEqual(expect.stringMatching(new RegExp(`${app.name}: rolled-back`)))
    expect(run.stderr).toMatch(/^Deployment \S+ failed \(status: rolled-back\)\n$/)
    expect(await httpGet(`http://${await hostAddress(app.name)}/`)).toBe('v1')
  })

  it('exits 3 with the reason when the token is refused (401), and never prints the token', async () => {
    const token = await tokenFor(['web'])
    const forged = `${token.slice(0, 20)}${token[20] === 'A' ? 'B' : 'A'}${token.slice(21)}`
    const run = await runHelper(forged)
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(/^dockhook refused the deploy: HTTP 401: .+ \((bad_signature|malformed)\)\n$/)
    expect(run.stdout.map((line) => line.text).join('\n') + run.stderr).not.toContain(forged.slice(10, 40))
  })

  it('exits 3 naming the container when it does not exist (404)', async () => {
    const missing = uniqueName('missing')
    const run = await runHelper(await tokenFor([missing]))
    expect(run.code).toBe(3)
    expect(run.stderr).toContain('dockhook refused the deploy: HTTP 404: ')
    expect(run.stderr).toContain(missing)
  })
})
