/**
 * Real registries for the tests: Debian's `docker-registry` (CNCF distribution 2.8) when installed,
 * otherwise the `registry:2` image. Storage lives in a temp dir removed by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { openSync, closeSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommandError, docker, run } from './docker.ts'
import { freePort, stopChild } from './process.ts'

export interface RegistryCredentials {
  username: string
  password: string
}

export interface RegistryNotifications {
  /** Where the registry POSTs its event envelopes, e.g. `http://127.0.0.1:3000/v1/hooks/distribution`. */
  url: string
  headers?: Record<string, string>
}

export interface RegistryOptions {
  /** Turns on htpasswd (bcrypt) basic auth with this single user. */
  auth?: RegistryCredentials
  /** Only with the native `docker-registry` binary (a registry container cannot reach 127.0.0.1). */
  notifications?: RegistryNotifications
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT`, what goes in front of an image ref. */
  host: string
  stop(): Promise<void>
}

const READY_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 5_000
const PORT_ATTEMPTS = 3

/** Starts a registry and resolves once `GET /v2/` answers (200, or 401 with auth). */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'dh-registry-'))
  try {
    await mkdir(join(dir, 'data'))
    if (opts.auth) await writeFile(join(dir, 'htpasswd'), await bcryptHtpasswd(opts.auth))
    return (await hasCommand('docker-registry')) ? await startNative(dir, opts) : await startContainer(dir, opts)
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

async function hasCommand(name: string): Promise<boolean> {
  try {
    await run('sh', ['-c', 'command -v "$1"', 'sh', name])
    return true
  } catch {
    return false
  }
}

/** The registry accepts bcrypt entries only. Passwords may contain `:` (only the first one splits). */
async function bcryptHtpasswd({ username, password }: RegistryCredentials): Promise<string> {
  try {
    return await run('htpasswd', ['-Bbn', username, password])
  } catch (error) {
    if (!(error instanceof CommandError) || error.exitCode !== 'ENOENT') throw error
    return docker(['run', '--rm', '--entrypoint', 'htpasswd', 'httpd:2', '-Bbn', username, password])
  }
}

function registryConfig(addr: string, dataDir: string, htpasswdPath: string, opts: RegistryOptions): string {
  const config: Record<string, unknown> = {
    version: '0.1',
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: dataDir }, delete: { enabled: true } },
    http: { addr },
  }
  if (opts.auth) config['auth'] = { htpasswd: { realm: 'basic-realm', path: htpasswdPath } }
  if (opts.notifications) {
    const headers = Object.fromEntries(Object.entries(opts.notifications.headers ?? {}).map(([k, v]) => [k, [v]]))
    config['notifications'] = {
      endpoints: [{ name: 'test', url: opts.notifications.url, headers, timeout: '2s', threshold: 3, backoff: '1s' }],
    }
  }
  // YAML is a superset of JSON: no quoting rules to get wrong for paths and header values.
  return JSON.stringify(config, null, 2)
}

async function startNative(dir: string, opts: RegistryOptions): Promise<RunningRegistry> {
  const logPath = join(dir, 'registry.log')
  let lastError: unknown
  // A port found free can be taken before the registry binds it: try again with another one.
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const host = `127.0.0.1:${await freePort()}`
    const configPath = join(dir, 'config.yml')
    await writeFile(configPath, registryConfig(host, join(dir, 'data'), join(dir, 'htpasswd'), opts))
    const log = openSync(logPath, 'w')
    // With setpriv (util-linux), the registry dies with this process even when it is killed.
    const command = (await hasCommand('setpriv'))
      ? ['setpriv', '--pdeathsig', 'TERM', '--', 'docker-registry', 'serve', configPath]
      : ['docker-registry', 'serve', configPath]
    const child = spawn(command[0] ?? '', command.slice(1), { stdio: ['ignore', log, log] })
    closeSync(log)
    let spawnError: Error | undefined
    child.once('error', (error) => (spawnError = error))
    const checkAlive = (): void => {
      if (spawnError) throw spawnError
      if (child.exitCode === null && child.signalCode === null) return
      const log = readFileSync(logPath, 'utf8').slice(-2000)
      throw new Error(`docker-registry exited (${child.signalCode ?? child.exitCode}) before answering:\n${log}`)
    }
    try {
      await waitForV2(host, opts.auth ? 401 : 200, checkAlive)
      const stop = async (): Promise<void> => {
        await stopChild(child, STOP_TIMEOUT_MS)
        await rm(dir, { recursive: true, force: true })
      }
      return { host, stop }
    } catch (error) {
      lastError = error
      await stopChild(child, STOP_TIMEOUT_MS)
    }
  }
  throw lastError
}

async function startContainer(dir: string, opts: RegistryOptions): Promise<RunningRegistry> {
  if (opts.notifications) {
    throw new Error('Registry notifications need Debian\'s docker-registry binary (apt-get install docker-registry).')
  }
  const name = `dh-registry-${randomBytes(5).toString('hex')}`
  const authEnv = opts.auth
    ? ['-e', 'REGISTRY_AUTH=htpasswd', '-e', 'REGISTRY_AUTH_HTPASSWD_REALM=basic-realm', '-e', 'REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd']
    : []
  await docker([
    'run', '-d', '--name', name, '-p', '127.0.0.1::5000',
    '-v', `${join(dir, 'data')}:/var/lib/registry`, '-v', `${dir}:/auth:ro`,
    '-e', 'REGISTRY_STORAGE_DELETE_ENABLED=true', ...authEnv, 'registry:2',
  ])
  const stop = async (): Promise<void> => {
    await docker(['rm', '-f', '-v', name]).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
  try {
    // Docker picks the host port itself: no race for a free port.
    const host = (await docker(['port', name, '5000/tcp'])).split('\n')[0]?.trim() ?? ''
    await waitForV2(host, opts.auth ? 401 : 200)
    return { host, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Polls `GET /v2/`; `checkAlive` throws when the registry process is gone. */
async function waitForV2(host: string, expectedStatus: number, checkAlive: () => void = () => {}): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let last = 'no answer'
  while (Date.now() < deadline) {
    checkAlive()
    try {
      const response = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2_000) })
      await response.body?.cancel()
      if (response.status === expectedStatus) return
      last = `status ${response.status}`
    } catch (error) {
      last = String(error)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`Registry at ${host} did not answer GET /v2/ with ${expectedStatus} within ${READY_TIMEOUT_MS} ms (last: ${last})`)
}

