import { afterAll, describe, expect, it } from 'vitest'
import { RecreateJournal, type RecreateEntry, type RecreateStep } from '../../../agent/deployer/journal.ts'
import { makeDeployer } from '../../support/deployer.ts'
import { buildImage, cleanup, docker, hostAddress, httpGet, registry, runContainer, trackContainer, uniqueName, waitFor } from '../../support/harness.ts'

/**
 * A journal that freezes the deployer for good right after writing the entry for `step`: the
 * Engine and the data directory are then exactly as an agent killed at that moment leaves them.
 */
class FreezingJournal extends RecreateJournal {
  readonly frozen: Promise<void>
  #reached!: () => void
  readonly #step: RecreateStep

  constructor(dataDir: string, step: RecreateStep) {
    super(dataDir)
    this.#step = step
    this.frozen = new Promise((resolve) => (this.#reached = resolve))
  }

  override async record(entry: RecreateEntry): Promise<void> {
    await super.record(entry)
    if (entry.step === this.#step) {
      this.#reached()
      await new Promise(() => {}) // never returns: the process "died" here
    }
  }
}

afterAll(cleanup)

async function containersNamedLike(name: string): Promise<string[]> {
  const out = await docker(['ps', '-a', '--format', '{{.Names}}', '--filter', `name=${name}`])
  return out.split('\n').map((line) => line.trim()).filter(Boolean).sort()
}

// Each step is the one about to be taken when the agent dies; what came before it has happened.
const cases: { step: RecreateStep; after: string; serves: 'v1' | 'v2' }[] = [
  { step: 'create', after: 'planning (nothing created yet)', serves: 'v1' },
  { step: 'stop', after: 'create', serves: 'v1' },
  { step: 'rename-old', after: 'stop', serves: 'v1' },
  { step: 'rename-new', after: 'renaming the old one aside', serves: 'v1' },
  { step: 'start', after: 'rename', serves: 'v1' },
  { step: 'health', after: 'start', serves: 'v1' },
  { step: 'remove-old', after: 'the health gate passed', serves: 'v2' },
]

describe('an agent that dies in the middle of a recreate', () => {
  it.each(cases)('killed after $after: the next start converges to one running container under the name ($serves)', async ({ step, serves }) => {
    const ref = `${registry()}/${uniqueName('crash')}:live`
    const v1 = await buildImage(ref, { content: 'v1', push: true })
    const app = await runContainer({ image: ref, args: ['-p', '127.0.0.1::80'] })
    await buildImage(ref, { content: 'v2', push: true })
    await docker(['tag', v1, ref])

    const first = await makeDeployer({ stableMs: 0 })
    const journal = new FreezingJournal(first.dataDir, step)
    const dying = await makeDeployer({ stableMs: 0, dataDir: first.dataDir, journal })
    const started = await dying.deployer.start({ containerNames: [app.name], action: 'pull-recreate', cleanup: false, jti: 'j', trigger: { source: 'api' } })
    expect(started.ok).toBe(true)
    await journal.frozen
    await dying.engine.close()

    const restarted = await makeDeployer({ stableMs: 0, dataDir: first.dataDir })
    const report = await restarted.deployer.recover()
    expect(report.failed).toEqual([])
    expect(serves === 'v2' ? report.completed : report.restored).toEqual([app.name])

    expect(await containersNamedLike(app.name)).toEqual([app.name])
    const container = await restarted.engine.inspectContainer(app.name)
    expect(container?.State.Running).toBe(true)
    expect(await waitFor(() => hostAddress(app.name).then((address) => httpGet(`http://${address}/`)))).toBe(serves)
    expect((await new RecreateJournal(first.dataDir).leftovers()).entries).toEqual([])
    // The interrupted deployment is settled in its record, too.
    if (started.ok) {
      const record = await restarted.deployer.get(started.deployment.id)
      expect(record?.status).toBe(serves === 'v2' ? 'succeeded' : 'rolled-back')
      expect(record?.finishedAt).toBeTruthy()
    }
    await restarted.close()
    await first.close()
  })
})

describe('recovery while the agent runs', () => {
  it('leaves the recreates of deployments in progress alone', async () => {
    const ref = `${registry()}/${uniqueName('live')}:live`
    const v1 = await buildImage(ref, { content: 'v1', push: true })
    const app = await runContainer({ image: ref })
    await buildImage(ref, { content: 'v2', push: true })
    await docker(['tag', v1, ref])
    const base = await makeDeployer({ stableMs: 0 })
    const journal = new FreezingJournal(base.dataDir, 'stop')
    const live = await makeDeployer({ stableMs: 0, dataDir: base.dataDir, journal })
    const started = await live.deployer.start({ containerNames: [app.name], action: 'pull-recreate', cleanup: false, jti: 'j', trigger: { source: 'api' } })
    expect(started.ok).toBe(true)
    await journal.frozen
    const before = await containersNamedLike(app.name)
    expect(before).toHaveLength(2) // the old container and its replacement under a temporary name
    before.forEach(trackContainer)

    const report = await live.deployer.recover()
    expect(report).toEqual({ restored: [], completed: [], failed: [] })
    expect(await containersNamedLike(app.name)).toEqual(before)
    expect((await new RecreateJournal(base.dataDir).leftovers()).entries).toHaveLength(1)
    if (started.ok) expect((await live.deployer.get(started.deployment.id))?.status).toBe('running')
    await live.engine.close()
    await base.close()
  })
})
