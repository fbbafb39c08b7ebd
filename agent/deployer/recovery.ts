import { overallStatus } from '../../src/deploy.ts'
import type { Logger } from '../../src/ports.ts'
import type { EngineClient } from '../docker/engine.ts'
import type { DeploymentStore } from './deployment-store.ts'
import type { RecreateJournal } from './journal.ts'
import { completeNew, restoreOld } from './recreate.ts'
import { messageOf } from '../../src/errors.ts'

export interface RecoveryReport {
  /** Recreates undone: the old container is back under its name. */
  restored: string[]
  /** Recreates finished: the new container had passed its health gate before the agent stopped. */
  completed: string[]
  /** Entries that could not be settled now; they stay in the journal for the next start. */
  failed: string[]
}

/**
 * Settles recreates that an earlier agent process left halfway (killed, crashed, host rebooted), so
 * that exactly one container holds each name, running if it was, and no temporary containers remain.
 * A recreate interrupted before its new container passed the health gate is undone; one interrupted
 * while removing the old container is completed.
 */
export async function recoverInterrupted(
  engine: EngineClient,
  journal: RecreateJournal,
  deployments: DeploymentStore,
  logger: Logger,
  now: () => Date,
  /** Deployments this process runs now: their journal entries and records are live, not leftovers. */
  isActive: (deploymentId: string) => boolean = () => false,
): Promise<RecoveryReport> {
  const report: RecoveryReport = { restored: [], completed: [], failed: [] }
  const { entries, unreadable } = await journal.leftovers()
  for (const file of unreadable) logger.error('unreadable journal entry left alone', { file })
  for (const entry of entries.filter((e) => !isActive(e.deployment))) {
    try {
      const old = await engine.inspectContainer(entry.oldId)
      if (entry.step === 'remove-old' || !old) {
        if (old) await engine.removeContainer(old.Id, { volumes: false })
        if (!(await completeNew(engine, entry))) throw new Error('neither the old nor the new container exists any more')
        report.completed.push(entry.container)
        logger.warn('finished a recreate interrupted by a restart', { container: entry.container, step: entry.step })
      } else {
        await restoreOld(engine, entry)
        report.restored.push(entry.container)
        logger.warn('undid a recreate interrupted by a restart', { container: entry.container, step: entry.step })
      }
      await journal.finish(entry.id)
    } catch (error) {
      report.failed.push(entry.container)
      logger.error('could not settle an interrupted recreate; will try again at the next start', { container: entry.container, reason: messageOf(error) })
    }
  }

  for (const record of (await deployments.unfinished()).filter((r) => !isActive(r.id))) {
    const time = now().toISOString()
    const settled = (container: string) => report.restored.includes(container) ? 'rolled-back' : report.completed.includes(container) ? 'succeeded' : 'failed'
    record.targets = record.targets.map((t) => (t.status === 'pending' || t.status === 'running' ? { ...t, status: settled(t.container), message: 'interrupted by an agent restart' } : t))
    record.status = overallStatus(record.targets)
    record.log.push({ time, level: 'warn', message: 'The agent restarted during this deployment; interrupted steps were settled on start-up' })
    record.finishedAt = time
    await deployments.save(record)
  }
  return report
}
