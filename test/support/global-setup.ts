/**
 * Vitest global setup: the real Engine, two real registries and a base image for every test run.
 * Integration tests are never skipped: a missing Engine fails the run here, loudly.
 */
import { randomBytes } from 'node:crypto'
import type { TestProject } from 'vitest/node'
import { DEFAULT_DOCKER_HOST, RUN_LABEL, docker, importBusyboxImage, isNoSuchObject } from './docker.ts'
import { startRegistry, type RunningRegistry } from './registry.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** `DOCKER_HOST` of the Engine under test, e.g. `unix:///var/run/docker.sock`. */
    dockerHost: string
    /** Plain-HTTP registry without auth, `127.0.0.1:PORT`. */
    registry: string
    /** Registry with htpasswd basic auth; the password contains a colon. */
    privateRegistry: { host: string; username: string; password: string }
    /** A busybox httpd image (see `buildImage`), built once for the whole run; do not remove it. */
    baseImage: string
    /** Unique per `vitest run`; the value of {@link RUN_LABEL}. */
    runId: string
  }
}

const PRIVATE_USER = 'alice'
const PRIVATE_PASSWORD = 's3cr:et'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dockerHost = process.env['DOCKER_HOST'] || DEFAULT_DOCKER_HOST
  const env = { DOCKER_HOST: dockerHost }
  await checkEngine(dockerHost)

  const runId = randomBytes(6).toString('hex')
  const baseImage = `dh-base-busybox:${runId}`
  const started: RunningRegistry[] = []
  // Every step runs even when an earlier one fails (e.g. the Engine went away): registries must stop.
  const teardown = async (): Promise<void> => {
    const results = await Promise.allSettled([
      sweepLeftovers(runId, env),
      ...started.map((registry) => registry.stop()),
      docker(['rmi', baseImage], { env }).catch((error: unknown) => {
        if (!isNoSuchObject(error)) throw error
      }),
    ])
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
    if (errors.length) throw new AggregateError(errors, `test teardown: ${errors.map(String).join('; ')}`)
  }

  // allSettled: a registry still starting when another step fails must not be left running.
  const [plain, priv, base] = await Promise.allSettled([
    startRegistry(),
    startRegistry({ auth: { username: PRIVATE_USER, password: PRIVATE_PASSWORD } }),
    buildBaseImage(baseImage, env),
  ])
  for (const result of [plain, priv]) if (result.status === 'fulfilled') started.push(result.value)
  if (plain.status === 'rejected' || priv.status === 'rejected' || base.status === 'rejected') {
    await teardown().catch(() => {})
    const failed = [plain, priv, base].find((r): r is PromiseRejectedResult => r.status === 'rejected')
    throw failed?.reason
  }
  project.provide('dockerHost', dockerHost)
  project.provide('registry', plain.value.host)
  project.provide('privateRegistry', { host: priv.value.host, username: PRIVATE_USER, password: PRIVATE_PASSWORD })
  project.provide('baseImage', baseImage)
  project.provide('runId', runId)
  return teardown
}

async function checkEngine(dockerHost: string): Promise<void> {
  try {
    await docker(['version', '--format', '{{.Server.APIVersion}}'], { env: { DOCKER_HOST: dockerHost }, timeoutMs: 15_000 })
  } catch (error) {
    throw new Error(
      `No Docker Engine answers at DOCKER_HOST=${dockerHost}. Integration tests need a real Engine ` +
        `(start dockerd, see .ci/run); they are never skipped.\n${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    )
  }
}

/** Builds the shared base image and proves a container from it runs (i.e. busybox is static). */
async function buildBaseImage(ref: string, env: Record<string, string>): Promise<void> {
  await importBusyboxImage(ref, { content: 'base' }, { env })
  try {
    const out = await docker(['run', '--rm', ref, 'echo', 'ok'], { env })
    if (out.trim() !== 'ok') throw new Error(`unexpected output: ${out}`)
  } catch (error) {
    throw new Error(`The busybox base image does not run (is /bin/busybox static? install busybox-static): ${String(error)}`, { cause: error })
  }
}

/** Safety net: whatever a test file's `cleanup()` missed is removed, and named so it gets fixed. */
async function sweepLeftovers(runId: string, env: Record<string, string>): Promise<void> {
  const filter = ['--filter', `label=${RUN_LABEL}=${runId}`]
  const list = async (args: string[]): Promise<string[]> =>
    (await docker([...args, ...filter], { env })).split('\n').map((s) => s.trim()).filter(Boolean)
  const containers = await list(['ps', '-a', '--format', '{{.Names}}'])
  const networks = await list(['network', 'ls', '--format', '{{.Name}}'])
  const volumes = await list(['volume', 'ls', '--format', '{{.Name}}'])
  if (containers.length + networks.length + volumes.length === 0) return
  console.warn(`Test run left these behind (a test is missing cleanup): containers ${containers.join(', ') || '-'}; ` +
    `networks ${networks.join(', ') || '-'}; volumes ${volumes.join(', ') || '-'}`)
  if (containers.length) await docker(['rm', '-f', '-v', ...containers], { env }).catch(() => {})
  if (networks.length) await docker(['network', 'rm', ...networks], { env }).catch(() => {})
  if (volumes.length) await docker(['volume', 'rm', '-f', ...volumes], { env }).catch(() => {})
}
