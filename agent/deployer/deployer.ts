import { randomBytes, randomUUID } from 'node:crypto'
import {
  overallStatus,
  type DeployEvent,
  type Deployer,
  type DeploymentRecord,
  type DeployRequest,
  type StartResult,
  type StoredDeployment,
  type TargetOutcome,
} from '../../src/deploy.ts'
import type { Logger } from '../../src/ports.ts'
import type { EngineClient } from '../docker/engine.ts'
import { isEngineError } from '../docker/errors.ts'
import { ContainerDirectory } from '../docker/containers-by-name.ts'
import type { ContainerInspect, ContainerSummary } from '../docker/types.ts'
import { ContainerQueue } from './container-queue.ts'
import type { CredentialResolver } from './credentials.ts'
import { DeploymentStore } from './deployment-store.ts'
import { EventHub } from './event-hub.ts'
import type { HealthGate } from './health.ts'
import { RecreateJournal } from './journal.ts'
import { recoverInterrupted, type RecoveryReport } from './recovery.ts'
import { deployTarget, type TargetContext } from './target.ts'
import { messageOf } from '../../src/errors.ts'

export interface HostDeployerOptions {
  engine: EngineClient
  /** Name lookups; one per Engine, shared with whoever else looks containers up. */
  containers?: ContainerDirectory
  dataDir: string
  credentials: CredentialResolver
  gate: HealthGate
  /** Targets deployed at once, across all deployments. */
  concurrency: number
  logger: Logger
  now?: () => Date
  /** Where recreate steps are journaled; defaults to DATA_DIR/journal. */
  journal?: RecreateJournal
}

/** A deployer for the Docker host the agent runs on. */
export interface HostDeployer extends Deployer {
  /** Settles recreates an earlier process left halfway; call once before serving. */
  recover(): Promise<RecoveryReport>
  /** Refuses new deployments from now on and resolves when the running ones have ended. */
  drain(): Promise<void>
}

/**
 * Runs deployments on this host: one run at a time per container (with coalescing of requests that
 * arrive meanwhile), at most `concurrency` targets at once, shared pulls, providers of a
 * `container:` namespace before their dependents, and a record of each deployment on disk.
 */
export function createHostDeployer(options: HostDeployerOptions): HostDeployer {
  const { engine, logger } = options
  const now = options.now ?? (() => new Date())
  const directory = options.containers ?? new ContainerDirectory(engine)
  const store = new DeploymentStore(options.dataDir)
  const journal = options.journal ?? new RecreateJournal(options.dataDir)
  const queue = new ContainerQueue<EventHub<DeployEvent>, TargetOutcome>()
  const slots = semaphore(options.concurrency)
  const pulls = new Map<string, Promise<void>>()
  const running = new Set<Promise<unknown>>()
  const active = new Set<string>()
  let draining = false
  // Deploys wait for a recovery in progress: both would otherwise move the same containers.
  let recovering: Promise<unknown> = Promise.resolve()

  const pullOnce = (key: string, pull: () => Promise<void>): Promise<void> => {
    const inFlight = pulls.get(key)
    if (inFlight) return inFlight
    const started = pull().finally(() => pulls.delete(key))
    pulls.set(key, started)
    return started
  }

  /** One run of one container's work, shared by every deployment that joined it. */
  function startTargetRun(deploymentId: string, name: string, request: DeployRequest, formerNames: Map<string, string>) {
    const busyBefore = queue.busy(name)
    const run = queue.run(
      name,
      `${request.action}:${request.cleanup}`,
      () => new EventHub<DeployEvent>(),
      (events) =>
        slots(async () => {
          const ctx: TargetContext = {
            engine,
            journal,
            gate: options.gate,
            deploymentId,
            now,
            randomId: () => randomBytes(4).toString('hex'),
            credentials: options.credentials,
            pullOnce,
            formerNames,
          }
          try {
            return await deployTarget(ctx, name, request.action, request.cleanup, {
              log: (message, level = 'info') => events.publish({ type: 'log', time: now().toISOString(), message, target: name, level }),
              progress: (message) => events.publish({ type: 'progress', time: now().toISOString(), target: name, message }),
            })
          } finally {
            events.close()
          }
        }),
    )
    return { ...run, waited: busyBefore }
  }

  /** Saves a record mid-deployment; a failed write is logged, not allowed to stop the deploy. */
  async function persist(record: StoredDeployment): Promise<void> {
    await store.save(record).catch((error: unknown) => logger.error('could not save a deployment record', { deployment: record.id, reason: messageOf(error) }))
  }

  async function runDeployment(record: StoredDeployment, hub: EventHub<DeployEvent>, found: Map<string, ContainerSummary>): Promise<DeploymentRecord> {
    const emit = (event: DeployEvent) => {
      if (event.type === 'log') record.log.push({ time: event.time, message: event.message, level: event.level, ...(event.target ? { target: event.target } : {}) })
      hub.publish(event)
    }
    const say = (message: string, level: 'info' | 'warn' | 'error' = 'info') => emit({ type: 'log', time: now().toISOString(), message, level })
    record.status = 'running'
    await store.save(record)
    say(`Deployment ${record.id}: ${record.action} ${record.containerNames.join(', ')}`)

    // IDs as they were when the deployment started: a dependent still names its provider's old ID.
    const formerNames = new Map([...found].map(([name, container]) => [container.Id, name]))
    // Namespace dependencies only matter between targets of one deployment.
    const containers = new Map<string, ContainerInspect>()
    if (found.size > 1) {
      for (const [name, summary] of found) {
        const inspected = await engine.inspectContainer(summary.Id).catch(() => undefined)
        if (inspected) containers.set(name, inspected)
      }
    }
    const finished = new Map<string, Promise<TargetOutcome>>()
    const runTarget = async (name: string): Promise<TargetOutcome> => {
      // Providers of a container: namespace this target uses go first (they are recreated with new IDs).
      for (const provider of namespaceProviders(containers.get(name), containers)) {
        if (provider !== name) await finished.get(provider)
      }
      const run = startTargetRun(record.id, name, record, formerNames)
      if (run.waited) say(`${name} is being deployed by another request; ${run.joined ? 'joined' : 'queued'} the follow-up run`)
      run.shared.subscribe(emit)
      const outcome = await run.result.catch((error: unknown): TargetOutcome => ({ container: name, status: 'failed', message: messageOf(error) }))
      record.targets = record.targets.map((t) => (t.container === name ? outcome : t))
      emit({ type: 'target', time: now().toISOString(), target: name, status: outcome.status, ...(outcome.message ? { message: outcome.message } : {}) })
      await persist(record)
      return outcome
    }
    for (const name of providersFirst(record.containerNames, containers)) finished.set(name, runTarget(name))
    await Promise.all(finished.values())

    record.status = overallStatus(record.targets)
    record.finishedAt = now().toISOString()
    say(record.status === 'succeeded' ? 'Deployment succeeded' : `Deployment ${record.status}`, record.status === 'succeeded' ? 'info' : 'error')
    await persist(record)
    hub.close()
    logger.info('deployment finished', { deployment: record.id, status: record.status, containers: record.containerNames.join(',') })
    return publicRecord(record)
  }

  return {
    async start(request: DeployRequest): Promise<StartResult> {
      if (draining) return { ok: false, reason: 'unavailable', message: 'the agent is shutting down; try again in a moment' }
      await recovering
      let found: Map<string, ContainerSummary>
      try {
        found = await directory.byName(request.containerNames)
      } catch (error) {
        return { ok: false, reason: 'unavailable', message: isEngineError(error) ? error.engineMessage : 'the Docker Engine did not answer' }
      }
      // A container being recreated is briefly without its name (between the two renames).
      const missing = request.containerNames.filter((name) => !found.has(name) && !queue.busy(name))
      if (missing.length) return { ok: false, reason: 'not-found', missing, message: `Container${missing.length > 1 ? 's' : ''} not found: ${missing.join(', ')}; nothing was changed` }

      const names = [...new Set(request.containerNames)]
      const record: StoredDeployment = {
        id: randomUUID(),
        jti: request.jti,
        status: 'queued',
        action: request.action,
        cleanup: request.cleanup,
        containerNames: names,
        trigger: request.trigger,
        createdAt: now().toISOString(),
        targets: names.map((container) => ({ container, status: 'pending' })),
        log: [],
      }
      active.add(record.id)
      await store.save(record)
      const hub = new EventHub<DeployEvent>()
      const done = runDeployment(record, hub, found).catch((error: unknown) => {
        logger.error('deployment crashed', { deployment: record.id, reason: messageOf(error) })
        record.status = 'failed'
        hub.close()
        return publicRecord(record)
      })
      running.add(done)
      void done.finally(() => {
        running.delete(done)
        active.delete(record.id)
      })
      return { ok: true, deployment: { id: record.id, events: () => hub.stream(), done } }
    },

    get: (id) => store.load(id),

    async recover() {
      const run = (async () => {
        const report = await recoverInterrupted(engine, journal, store, logger, now, (id) => active.has(id))
        await store.prune()
        return report
      })()
      recovering = run.catch(() => {})
      return run
    },

    async drain() {
      draining = true
      await Promise.allSettled([...running])
    },
  }
}

function publicRecord(record: StoredDeployment): DeploymentRecord {
  const { jti: _jti, ...rest } = record
  return structuredClone(rest)
}

/** Targets whose network, IPC or PID namespace `container` joins (`container:<name or id>`). */
function namespaceProviders(container: ContainerInspect | undefined, targets: Map<string, ContainerInspect>): string[] {
  if (!container) return []
  const modes = [container.HostConfig.NetworkMode, container.HostConfig.IpcMode, container.HostConfig.PidMode]
  const providers: string[] = []
  for (const mode of modes) {
    if (!mode?.startsWith('container:')) continue
    const ref = mode.slice('container:'.length)
    for (const [name, target] of targets) {
      if (name === ref || target.Id === ref || target.Id.startsWith(ref)) providers.push(name)
    }
  }
  return providers
}

/** Orders targets so that each provider of a `container:` namespace comes before its dependents. */
function providersFirst(names: string[], containers: Map<string, ContainerInspect>): string[] {
  const ordered: string[] = []
  const visit = (name: string, path: Set<string>) => {
    if (ordered.includes(name) || path.has(name)) return
    path.add(name)
    for (const provider of namespaceProviders(containers.get(name), containers)) visit(provider, path)
    ordered.push(name)
  }
  for (const name of names) visit(name, new Set())
  return ordered
}

/** At most `limit` tasks at once; the rest wait in arrival order. */
function semaphore(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: (() => void)[] = []
  return async (task) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve))
    active++
    try {
      return await task()
    } finally {
      active--
      waiting.shift()?.()
    }
  }
}
