/**
 * The integration test harness: real containers, networks, volumes and images, each registered for
 * removal by `cleanup()`. Use it as
 *
 *     afterAll(cleanup)
 *
 * Registrations live in this module, so they belong to one test file (vitest isolates modules per file).
 * Everything gets a unique name: tests do not depend on order and may run beside other runs.
 */
import { inject } from 'vitest'
import {
  RUN_LABEL,
  docker as runDocker,
  importBusyboxImage,
  isNoSuchObject,
  uniqueName,
  type BusyboxImageOptions,
  type RunOptions,
} from './docker.ts'
import { startRegistry as startRunningRegistry, type RegistryOptions, type RunningRegistry } from './registry.ts'

export { CommandError, DEFAULT_HTTPD_CMD, isNoSuchObject, uniqueName } from './docker.ts'
export type { BusyboxImageOptions, RunOptions } from './docker.ts'
export type { RegistryCredentials, RegistryNotifications, RegistryOptions, RunningRegistry } from './registry.ts'

/** `DOCKER_HOST` of the Engine under test. */
export function dockerHost(): string {
  return inject('dockerHost')
}

/** The plain registry, `127.0.0.1:PORT`. */
export function registry(): string {
  return inject('registry')
}

/** The htpasswd registry and its one user (`alice`, a password with a colon). */
export function privateRegistry(): { host: string; username: string; password: string } {
  return inject('privateRegistry')
}

/** A busybox httpd image shared by the whole run (serves "base"); never remove or re-tag it. */
export function baseImage(): string {
  return inject('baseImage')
}

/** Runs the docker CLI against the Engine under test; resolves with stdout, rejects with stderr. */
export function docker(args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return runDocker(args, { ...opts, env: { DOCKER_HOST: dockerHost(), ...opts.env } })
}

const tracked = {
  containers: new Set<string>(),
  networks: new Set<string>(),
  volumes: new Set<string>(),
  images: new Set<string>(),
  imageIds: new Set<string>(),
  registries: new Set<RunningRegistry>(),
}

/**
 * Starts an extra registry for this test file (e.g. one that sends notifications to a server the
 * test runs); `cleanup()` stops it and deletes its storage.
 */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  const started = await startRunningRegistry(opts)
  tracked.registries.add(started)
  return started
}

/** Registers a container (name or id) made outside the harness, e.g. by the code under test. */
export function trackContainer(nameOrId: string): void {
  tracked.containers.add(nameOrId)
}
export function trackNetwork(nameOrId: string): void {
  tracked.networks.add(nameOrId)
}
export function trackVolume(name: string): void {
  tracked.volumes.add(name)
}
/** Registers an image reference (untagged on cleanup) or id (removed on cleanup). */
export function trackImage(refOrId: string): void {
  tracked.images.add(refOrId)
}

function runLabel(): string[] {
  return ['--label', `${RUN_LABEL}=${inject('runId')}`]
}

export interface BuildImageOptions extends BusyboxImageOptions {
  /** Push to the registry named in `ref` (the plain one: no credentials are used). */
  push?: boolean
}

/**
 * Builds a ~2 MB busybox image tagged `ref`; its default CMD serves `content` (default: `ref`)
 * on port 80 and exits at once on SIGTERM. Resolves with the image ID.
 * @example await buildImage(`${registry()}/${uniqueName('app')}:v1`, { content: 'v1', push: true })
 */
export async function buildImage(ref: string, opts: BuildImageOptions = {}): Promise<string> {
  trackImage(ref)
  const id = await importBusyboxImage(ref, opts, { env: { DOCKER_HOST: dockerHost() } })
  // By id too: building `ref` again, or pulling a newer `ref`, leaves this image untagged.
  tracked.imageIds.add(id)
  if (opts.push) await docker(['push', ref])
  return id
}

export interface RunContainerOptions {
  image: string
  /** Default: a unique name. */
  name?: string
  /** `docker run` options, before the image (e.g. `['-p', '127.0.0.1::80']`). */
  args?: readonly string[]
  /** Command and arguments, after the image. */
  cmd?: readonly string[]
}

/** `docker run -d`; the container is removed (with its anonymous volumes) by `cleanup()`. */
export async function runContainer(opts: RunContainerOptions): Promise<{ id: string; name: string }> {
  const name = opts.name ?? uniqueName('ctr')
  trackContainer(name)
  const id = (await docker(['run', '-d', '--name', name, ...runLabel(), ...(opts.args ?? []), opts.image, ...(opts.cmd ?? [])])).trim()
  return { id, name }
}

/** `docker network create`; resolves with the network's name. */
export async function createNetwork(opts: { name?: string; args?: readonly string[] } = {}): Promise<string> {
  const name = opts.name ?? uniqueName('net')
  trackNetwork(name)
  await docker(['network', 'create', ...runLabel(), ...(opts.args ?? []), name])
  return name
}

/** `docker volume create`; resolves with the volume's name. */
export async function createVolume(opts: { name?: string; args?: readonly string[] } = {}): Promise<string> {
  const name = opts.name ?? uniqueName('vol')
  trackVolume(name)
  await docker(['volume', 'create', ...runLabel(), ...(opts.args ?? []), name])
  return name
}

/** The host address a container port is published on, e.g. `127.0.0.1:49153`. */
export async function hostAddress(container: string, port: string = '80/tcp'): Promise<string> {
  const lines = (await docker(['port', container, port])).split('\n').map((l) => l.trim())
  const address = lines.find((l) => l.startsWith('127.0.0.1:')) ?? lines[0]
  if (!address) throw new Error(`${container} publishes no ${port}`)
  return address
}

async function removeOne<T>(item: T, remove: (item: T) => Promise<unknown>): Promise<void> {
  try {
    await remove(item)
  } catch (error) {
    if (!isNoSuchObject(error)) throw error
  }
}

async function removeEach<T>(items: Set<T>, remove: (item: T) => Promise<unknown>): Promise<Error[]> {
  const results = await Promise.allSettled([...items].map((item) => removeOne(item, remove)))
  items.clear()
  return results.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason : new Error(String(r.reason))] : []))
}

/** One at a time: a reference and the id it points to, removed at once, race in the Engine. */
async function removeImages(items: Set<string>, remove: (item: string) => Promise<unknown>): Promise<Error[]> {
  const errors: Error[] = []
  for (const item of items) {
    await removeOne(item, remove).catch((error: unknown) => errors.push(error instanceof Error ? error : new Error(String(error))))
  }
  items.clear()
  return errors
}

/**
 * Removes everything this test file registered: containers (with their anonymous volumes) first,
 * then networks, volumes, image references, the images `buildImage` made (also when they lost
 * their tag) and extra registries. Things already gone are fine; other failures are thrown.
 */
export async function cleanup(): Promise<void> {
  const errors = [
    ...(await removeEach(tracked.containers, (c) => docker(['rm', '-f', '-v', c]))),
    ...(await removeEach(tracked.networks, (n) => docker(['network', 'rm', n]))),
    ...(await removeEach(tracked.volumes, (v) => docker(['volume', 'rm', '-f', v]))),
    ...(await removeImages(tracked.images, (i) => docker(['rmi', i]))),
    // -f: an image built here may have been tagged again by the test (or the code under test).
    ...(await removeImages(tracked.imageIds, (i) => docker(['rmi', '-f', i]))),
    ...(await removeEach(tracked.registries, (r) => r.stop())),
  ]
  if (errors.length) throw new AggregateError(errors, `cleanup failed: ${errors.map((e) => e.message).join('; ')}`)
}

/**
 * Polls `predicate` until it returns a truthy value (resolved with it) or the time runs out
 * (rejected with the last error the predicate threw, if any).
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await predicate()
      if (value) return value as NonNullable<T>
    } catch (error) {
      lastError = error
    }
    if (Date.now() >= deadline) {
      throw new Error(`waitFor: condition not met within ${timeoutMs} ms`, { cause: lastError })
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** GET over HTTP; resolves with the body text of a 2xx answer, rejects otherwise. */
export async function httpGet(url: string, { timeoutMs = 5_000 }: { timeoutMs?: number } = {}): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  const text = await response.text()
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${text.slice(0, 200)}`)
  return text
}
