import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TargetOutcome } from '../../../src/deploy.ts'
import { makeDeployer, type TestDeployer } from '../../support/deployer.ts'
import { buildImage, cleanup, docker, registry, runContainer, uniqueName } from '../../support/harness.ts'

let t: TestDeployer
beforeAll(async () => {
  t = await makeDeployer({ stableMs: 0 })
})
afterAll(async () => {
  await t.close()
  await cleanup()
})

async function burst(name: string, requests: number): Promise<TargetOutcome[]> {
  const answers = await Promise.all(
    Array.from({ length: requests }, async () => {
      const started = await t.deployer.start({ containerNames: [name], action: 'pull-recreate', cleanup: false, jti: 'j', trigger: { source: 'api' } })
      if (!started.ok) throw new Error(started.message)
      const record = await started.deployment.done
      return record.targets[0] as TargetOutcome
    }),
  )
  return answers
}

describe('concurrent deploys of one container', () => {
  it('20 requests at once: every caller gets an answer, no Engine conflicts, one recreate per wave', async () => {
    const ref = `${registry()}/${uniqueName('burst')}:live`
    const v1 = await buildImage(ref, { content: 'v1', push: true })
    const app = await runContainer({ image: ref })
    const v2 = await buildImage(ref, { content: 'v2', push: true })
    await docker(['tag', v1, ref])

    const wave1 = await burst(app.name, 20)
    expect(wave1).toHaveLength(20)
    expect(wave1.filter((o) => o.status === 'succeeded')).toHaveLength(1)
    expect(wave1.filter((o) => o.status === 'up-to-date')).toHaveLength(19)
    expect(JSON.stringify(wave1)).not.toMatch(/409|conflict|already in use/i)
    const afterWave1 = await t.engine.inspectContainer(app.name)
    expect(afterWave1?.Image).toBe(v2)

    const v3 = await buildImage(ref, { content: 'v3', push: true })
    await docker(['tag', v2, ref])
    const wave2 = await burst(app.name, 20)
    expect(wave2.filter((o) => o.status === 'succeeded')).toHaveLength(1)
    expect(wave2.filter((o) => o.status === 'up-to-date')).toHaveLength(19)
    const afterWave2 = await t.engine.inspectContainer(app.name)
    expect(afterWave2?.Image).toBe(v3)
    expect(afterWave2?.State.Running).toBe(true)
    const leftovers = await docker(['ps', '-a', '--format', '{{.Names}}', '--filter', `name=${app.name}`])
    expect(leftovers.trim()).toBe(app.name)
  })
})
