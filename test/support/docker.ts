/**
 * The docker CLI and the busybox test images, for the test harness. Nothing here imports vitest,
 * so the global setup (main process) and the tests (workers) can both use it.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Docker's own default when DOCKER_HOST is not set. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock'

/** Label put on the containers, networks and volumes the harness creates; its value is the run id. */
export const RUN_LABEL = 'dockhook.test.run'

const DEFAULT_CLI_TIMEOUT_MS = 120_000
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024

/** A command of the test harness (docker, tar, htpasswd…) that exited non-zero. */
export class CommandError extends Error {
  readonly command: string
  readonly exitCode: number | string | null
  readonly stdout: string
  readonly stderr: string

  constructor(command: string, exitCode: number | string | null, stdout: string, stderr: string, cause: unknown) {
    super(`${command} failed (exit ${exitCode ?? 'unknown'}): ${stderr.trim() || stdout.trim() || String(cause)}`, { cause })
    this.name = 'CommandError'
    this.command = command
    this.exitCode = exitCode
    this.stdout = stdout
    this.stderr = stderr
  }
}

export interface RunOptions {
  /** Written to the command's stdin (which is closed afterwards). */
  input?: string | Uint8Array
  /** Extra environment variables on top of this process's. */
  env?: Record<string, string>
  timeoutMs?: number
}

function runCommand(file: string, args: readonly string[], opts: RunOptions, encoding: 'buffer'): Promise<Buffer>
function runCommand(file: string, args: readonly string[], opts: RunOptions, encoding: 'utf8'): Promise<string>
function runCommand(file: string, args: readonly string[], opts: RunOptions, encoding: 'buffer' | 'utf8'): Promise<Buffer | string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      {
        encoding,
        env: { ...process.env, ...opts.env },
        timeout: opts.timeoutMs ?? DEFAULT_CLI_TIMEOUT_MS,
        maxBuffer: MAX_OUTPUT_BYTES,
      },
      (error, stdout, stderr) => {
        if (error) {
          const shown = `${file} ${args.join(' ')}`
          reject(new CommandError(shown, error.killed ? 'killed (timeout)' : error.code ?? null, String(stdout), String(stderr), error))
          return
        }
        resolve(stdout)
      },
    )
    // A command that does not read its stdin (or dies early) must not turn into an EPIPE crash.
    child.stdin?.on('error', () => {})
    child.stdin?.end(opts.input)
  })
}

/** Runs a command and resolves with its stdout; rejects with a {@link CommandError} carrying stderr. */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return runCommand(file, args, opts, 'utf8')
}

/**
 * Runs the docker CLI and resolves with its stdout (untrimmed).
 * @example const id = (await docker(['create', 'busybox'])).trim()
 */
export function docker(args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return run('docker', args, opts)
}

/** `docker rm/rmi/network rm/volume rm` of something that is already gone is not an error for cleanup. */
export function isNoSuchObject(error: unknown): boolean {
  // Engine 20.10 says "reference does not exist" for an image id removed a moment ago.
  return error instanceof CommandError && /no such|not found|does not exist|404/i.test(error.stderr)
}

/** `dh-<prefix>-<random>`: lower case, valid for containers, networks, volumes and image repositories. */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
  return `dh-${clean || 'x'}-${randomBytes(5).toString('hex')}`
}

/** Applets linked in every test image (busybox-static provides all of them). */
const BUSYBOX_APPLETS = [
  'sh', 'httpd', 'sleep', 'wget', 'cat', 'echo', 'ls', 'mkdir', 'env', 'true', 'false', 'test',
  'kill', 'rm', 'touch', 'hostname', 'date', 'printf', 'grep', 'ps', 'id',
]

/** Traps SIGTERM so `docker stop` does not wait its 10 s timeout for PID 1. */
export const DEFAULT_HTTPD_CMD: readonly string[] = ['/bin/sh', '-c', 'trap "exit 0" TERM; httpd -f -p 80 -h /www & wait']

export interface BusyboxImageOptions {
  /** Content of /www/index.html, served by the default CMD on port 80. Default: the image ref. */
  content?: string
  /** Default: {@link DEFAULT_HTTPD_CMD}. */
  cmd?: readonly string[]
  /** `KEY=value` entries. */
  env?: readonly string[]
  /** The arguments of a Dockerfile HEALTHCHECK, e.g. `--interval=1s CMD wget -q -O /dev/null http://127.0.0.1/`. */
  healthcheck?: string
  labels?: Readonly<Record<string, string>>
  /** Paths declared as image volumes (anonymous volumes on `docker run`). */
  volumes?: readonly string[]
}

/** The official image's busybox is static, like Debian's busybox-static. */
const BUSYBOX_IMAGE = 'busybox:musl'
let extracted: Promise<string> | undefined

/**
 * A static busybox for the test images: the host's (Debian's busybox-static), or else — for a
 * contributor with only Node and Docker — copied once out of the official busybox image.
 * (This machine has no public registry, so here the host's is always used.)
 */
function busyboxPath(runOpts: RunOptions): Promise<string> {
  const found = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p))
  if (found) return Promise.resolve(found)
  extracted ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dh-busybox-'))
    const name = uniqueName('busybox-copy')
    try {
      await docker(['create', '--name', name, BUSYBOX_IMAGE], runOpts)
      await docker(['cp', `${name}:/bin/busybox`, join(dir, 'busybox')], runOpts)
      return join(dir, 'busybox')
    } catch (error) {
      throw new Error(`No busybox found: install Debian's busybox-static, or make ${BUSYBOX_IMAGE} pullable (the test images are made from it).`, { cause: error })
    } finally {
      await docker(['rm', '-f', name], runOpts).catch(() => {})
    }
  })()
  return extracted
}

/** Dockerfile instructions for `docker import --change`; JSON strings are valid Dockerfile quoting. */
function importChanges(opts: BusyboxImageOptions): string[] {
  const changes = [`CMD ${JSON.stringify(opts.cmd ?? DEFAULT_HTTPD_CMD)}`]
  for (const entry of opts.env ?? []) {
    const eq = entry.indexOf('=')
    if (eq <= 0) throw new Error(`env entry must be KEY=value: ${entry}`)
    changes.push(`ENV ${entry.slice(0, eq)}=${JSON.stringify(entry.slice(eq + 1))}`)
  }
  for (const [key, value] of Object.entries(opts.labels ?? {})) {
    changes.push(`LABEL ${JSON.stringify(key)}=${JSON.stringify(value)}`)
  }
  if (opts.volumes?.length) changes.push(`VOLUME ${JSON.stringify(opts.volumes)}`)
  if (opts.healthcheck) changes.push(`HEALTHCHECK ${opts.healthcheck}`)
  return changes.flatMap((change) => ['--change', change])
}

/**
 * Imports a ~2 MB image made of a static busybox and /www/index.html, tagged `ref`.
 * Resolves with the image ID (`sha256:…`). Every call makes a new image, even with equal options.
 */
export async function importBusyboxImage(ref: string, opts: BusyboxImageOptions = {}, runOpts: RunOptions = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'dh-rootfs-'))
  try {
    await mkdir(join(root, 'bin'))
    await mkdir(join(root, 'www'))
    await mkdir(join(root, 'tmp'))
    await chmod(join(root, 'tmp'), 0o1777)
    await copyFile(await busyboxPath(runOpts), join(root, 'bin', 'busybox'))
    await Promise.all(BUSYBOX_APPLETS.map((applet) => symlink('busybox', join(root, 'bin', applet))))
    await writeFile(join(root, 'www', 'index.html'), opts.content ?? ref)
    const tarball = await runCommand('tar', ['-C', root, '-c', '.'], {}, 'buffer')
    const id = await docker(['import', ...importChanges(opts), '-', ref], { ...runOpts, input: tarball })
    return id.trim()
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}
