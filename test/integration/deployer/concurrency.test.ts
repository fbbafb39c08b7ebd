import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestAgent, type TestAgent } from '../../support/agent.ts'
import { buildImage, cleanup, docker, registry, runContainer, uniqueName } from '../../support/harness.ts'

/* Many callers deploying one container at the same moment, through the real HTTP endpoint. */
let t: TestAgent
beforeAll(async () => {
  t = await startTestAgent()
})
afterAll(async () => {
  await t.close()
  await cleanup()
})

interface Answer {
  status: number
  result: { ok: boolean; targets: { status: string; message?: string }[] }
  body: string
}

async function burst(name: string, requests: number): Promise<Answer[]> {
  const token = await t.token([name], 'pull-recreate')
  return Promise.all(
    Array.from({ length: requests }, async () => {
      const response = await fetch(`${t.agent.url}/v1/deploy`, { method: 'POST', headers: { 'x-deploy-token': token, accept: 'application/x-ndjson' } })
      const body = await response.text()
      const last = body.trim().split('\n').at(-1) ?? '{}'
      return { status: response.status, result: JSON.parse(last) as Answer['result'], body }
    }),
  )
}

describe('concurrent deploys of one container', () => {
  it('20 requests at once: every caller gets an answer, no Engine conflicts, one recreate per wave', async () => {
    const ref = `${registry()}/${uniqueName('burst')}:live`
    const v1 = await buildImage(ref, { content: 'v1', push: true })
    const app = await runContainer({ image: ref })
    const v2 = await buildImage(ref, { content: 'v2', push: true })
    await docker(['tag', v1, ref])

    const wave = async (label: string, newest: string) => {
      const answers = await burst(app.name, 20)
      expect(answers).toHaveLength(20)
      for (const answer of answers) {
        expect(answer.status).toBe(200)
        expect(answer.result.ok).toBe(true)
        expect(answer.body).not.toMatch(/\b409\b|conflict|already in use/i)
      }
      const statuses = answers.map((a) => a.result.targets[0]?.status)
      expect(statuses.filter((s) => s === 'succeeded'), label).toHaveLength(1)
      expect(statuses.filter((s) => s === 'up-to-date'), label).toHaveLength(19)
      const container = await t.agent.engine.inspectContainer(app.name)
      expect(container?.Image, label).toBe(newest)
      expect(container?.State.Running).toBe(true)
    }
    await wave('first wave', v2)
    const v3 = await buildImage(ref, { content: 'v3', push: true })
    await docker(['tag', v2, ref]) // the host still tags v2; the registry has v3
    await wave('second wave', v3)
    const leftovers = await docker(['ps', '-a', '--format', '{{.Names}}', '--filter', `name=${app.name}`])
    expect(leftovers.trim()).toBe(app.name)
  })
})
