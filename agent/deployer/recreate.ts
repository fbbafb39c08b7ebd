import { messageOf } from '../../src/errors.ts'
import type { EngineClient } from '../docker/engine.ts'
import { DEFAULT_STOP_TIMEOUT_SECONDS } from '../docker/engine.ts'
import type { ContainerInspect, ImageInspect } from '../docker/types.ts'
import { planCreateBody } from './create-body.ts'
import { waitUntilUp, type HealthGate } from './health.ts'
import type { RecreateEntry, RecreateJournal, RecreateStep } from './journal.ts'

export interface RecreateContext {
  engine: EngineClient
  journal: RecreateJournal
  gate: HealthGate
  deploymentId: string
  log: (message: string, level?: 'info' | 'warn' | 'error') => void
  now: () => Date
  randomId: () => string
  /** Container ID → name for containers that may be gone by now (a provider recreated just before). */
  formerNames?: Map<string, string>
}

export type RecreateResult = { ok: true; newId: string; started: boolean } | { ok: false; rolledBack: boolean; reason: string }

/** The stopped, renamed-aside old container; kept until the new one is up, so rollback is a rename. */
export function parkedName(name: string, oldId: string): string {
  return `${name}-dockhook-old-${oldId.slice(0, 12)}`
}

/**
 * Replaces a container with one created from `newImage`, keeping every user setting, network and
 * volume, in the order that never leaves the name without a working container:
 * create the replacement under a temporary name while the old one runs → stop the old one with its
 * own signal and timeout → rename old aside, new into place → start → wait for health → remove the
 * old one (without its volumes). Any failure undoes what was done: the replacement is removed and
 * the old container is back under its name, running if it was. Each step is journaled before it is
 * taken so an agent killed halfway can finish or undo it on its next start (recovery.ts).
 */
export async function recreateContainer(ctx: RecreateContext, old: ContainerInspect, images: { old: ImageInspect | undefined; new: ImageInspect }): Promise<RecreateResult> {
  const { engine } = ctx
  const name = old.Name.replace(/^\//, '')
  const wasRunning = old.State.Running || Boolean(old.State.Restarting)
  if (old.HostConfig.AutoRemove && wasRunning) {
    return { ok: false, rolledBack: false, reason: 'the container was started with --rm (AutoRemove): stopping it deletes it, so it could not be put back if the new one failed; not touched' }
  }
  const [apiVersion, info, all] = await Promise.all([engine.apiVersion(), engine.info().catch(() => undefined), engine.listContainers({ all: true })])
  const plan = planCreateBody({
    container: old,
    oldImage: images.old,
    newImage: images.new,
    apiVersion,
    ...(info?.Name ? { engineHostname: info.Name } : {}),
    containerNames: new Map([...(ctx.formerNames ?? []), ...all.map((c): [string, string] => [c.Id, (c.Names[0] ?? c.Id).replace(/^\//, '')])]),
  })
  for (const note of plan.notes) ctx.log(note, 'warn')

  const entry: RecreateEntry = {
    id: `${ctx.deploymentId}-${ctx.randomId()}`,
    deployment: ctx.deploymentId,
    container: name,
    oldId: old.Id,
    oldParkedName: parkedName(name, old.Id),
    tempName: `${name}-dockhook-new-${ctx.randomId()}`,
    wasRunning,
    // A container that was created but never started stays that way; stopped and crashed ones come up.
    startNew: old.State.Status !== 'created',
    step: 'create',
    startedAt: ctx.now().toISOString(),
  }
  const step = async (next: RecreateStep) => {
    entry.step = next
    await ctx.journal.record(entry)
  }

  try {
    await step('create')
    const created = await engine.createContainer({ name: entry.tempName, ...(plan.platform ? { platform: plan.platform } : {}), body: plan.body })
    entry.newId = created.Id
    await ctx.journal.record(entry)
    for (const warning of created.Warnings ?? []) ctx.log(`Engine warning: ${warning}`, 'warn')
    for (const network of plan.extraNetworks) await engine.connectNetwork(network.name, created.Id, network.endpointConfig)
    ctx.log(`Created the new container ${created.Id.slice(0, 12)}`)

    if (wasRunning) {
      await step('stop')
      await engine.stopContainer(old.Id, { expectedTimeoutSeconds: old.Config.StopTimeout ?? DEFAULT_STOP_TIMEOUT_SECONDS })
      ctx.log(`Stopped the old container ${old.Id.slice(0, 12)}`)
    }
    await step('rename-old')
    await engine.renameContainer(old.Id, entry.oldParkedName)
    await step('rename-new')
    await engine.renameContainer(created.Id, name)

    if (entry.startNew) {
      await step('start')
      await engine.startContainer(created.Id)
      ctx.log('Started the new container')
      await step('health')
      const verdict = await waitUntilUp(engine, created.Id, ctx.gate)
      if (!verdict.ok) throw new Error(verdict.reason)
      ctx.log(`The new container is up (${verdict.detail})`)
    }

    await step('remove-old')
    await engine.removeContainer(old.Id, { volumes: false }).catch((error: unknown) => {
      // The new container serves already; a parked old one is untidy, not a failure.
      ctx.log(`Could not remove the old container ${entry.oldParkedName}: ${messageOf(error)}`, 'warn')
    })
    await ctx.journal.finish(entry.id)
    return { ok: true, newId: created.Id, started: entry.startNew }
  } catch (error) {
    const reason = messageOf(error)
    ctx.log(`Recreate failed: ${reason}; rolling back`, 'error')
    await step('rollback').catch(() => {})
    try {
      await restoreOld(engine, entry)
      await ctx.journal.finish(entry.id)
      ctx.log(wasRunning ? `Rolled back: the old container runs under ${name} again` : `Rolled back: the old container is back under ${name}`, 'warn')
      return { ok: false, rolledBack: true, reason }
    } catch (rollbackError) {
      // The journal entry stays: the next start of the agent tries again (recovery.ts).
      ctx.log(`Rollback failed: ${messageOf(rollbackError)}`, 'error')
      return { ok: false, rolledBack: false, reason: `${reason}; rollback failed: ${messageOf(rollbackError)}` }
    }
  }
}

/**
 * Undoes a recreate from whatever state it reached: removes the replacement (found by ID or by its
 * temporary name), gives the old container its name back and starts it if it was running.
 */
export async function restoreOld(engine: EngineClient, entry: RecreateEntry): Promise<void> {
  const replacement = (entry.newId && (await engine.inspectContainer(entry.newId))) || (await engine.inspectContainer(entry.tempName))
  if (replacement && replacement.Id !== entry.oldId) await engine.removeContainer(replacement.Id, { force: true, volumes: false })
  const old = await engine.inspectContainer(entry.oldId)
  if (!old) throw new Error(`the old container ${entry.oldId.slice(0, 12)} no longer exists`)
  if (old.Name !== `/${entry.container}`) await engine.renameContainer(old.Id, entry.container)
  if (entry.wasRunning && !old.State.Running) await engine.startContainer(old.Id)
}

/**
 * Finishes a recreate whose old container is already gone (the agent stopped during the last step):
 * the replacement takes the name and runs if the old one did.
 */
export async function completeNew(engine: EngineClient, entry: RecreateEntry): Promise<boolean> {
  const replacement = (entry.newId && (await engine.inspectContainer(entry.newId))) || (await engine.inspectContainer(entry.tempName))
  if (!replacement) return false
  if (replacement.Name !== `/${entry.container}`) await engine.renameContainer(replacement.Id, entry.container)
  if (entry.startNew && !replacement.State.Running) await engine.startContainer(replacement.Id)
  return true
}
