/**
 * End to end, with no trigger but the registry's own: a real `docker-registry` (CNCF distribution)
 * whose notification endpoint is the agent, configured as the CLI prints it, and `docker push`.
 * A push under the watched tag makes the container run the new image; pushes of another tag or
 * another repository change nothing.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateToken } from '../../../agent/cli/token.ts'
import type { DeploymentRecord } from '../../../src/deploy.ts'
import { startTestAgent, type TestAgent } from '../../support/agent.ts'
import { buildImage, cleanup, docker, runContainer, startRegistry, uniqueName, waitFor } from '../../support/harness.ts'

/** Pushes, notification, pull and recreate: seconds here; generous for a busy machine. */
const DEPLOYED_WITHIN_MS = 30_000

let t: TestAgent
beforeAll(async () => {
  t = await startTestAgent()
})
afterAll(async () => {
  await t?.close()
  await cleanup()
})

const imageOf = async (container: string) => (await docker(['inspect', '--format', '{{.Image}}', container])).trim()

/** The deployments the agent recorded (DATA_DIR/deployments), oldest first. */
async function deployments(): Promise<DeploymentRecord[]> {
  const dir = join(t.dataDir, 'deployments')
  const files = (await readdir(dir).catch(() => [])).filter((file) => file.endsWith('.json'))
  const records = await Promise.all(files.map(async (file) => JSON.parse(await readFile(join(dir, file), 'utf8')) as DeploymentRecord))
  return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt))
}

describe('registry notifications → agent → container', () => {
  it('a push under the watched tag deploys it; another tag or repository does not; the status shows the trigger', async () => {
    const container = uniqueName('web')
    const made = await generateToken(
      { dataDir: t.dataDir, publicUrl: t.agent.url, now: () => new Date() },
      { containerNames: [container], action: 'pull-recreate', cleanup: false, expiresIn: 3600, hook: { provider: 'distribution' } },
    )
    const setup = made.webhook!
    expect(setup.header).toEqual({ name: 'Authorization', value: `Bearer ${made.token}` })
    const registry = await startRegistry({ notifications: { url: setup.url, headers: { [setup.header!.name]: setup.header!.value } } })

    // v1 only exists locally: the registry learns of the repository with the push of v2.
    const repository = `${registry.host}/${uniqueName('app')}`
    const ref = `${repository}:live`
    await buildImage(ref, { content: 'v1' })
    await runContainer({ name: container, image: ref })

    const v2 = await buildImage(ref, { content: 'v2', push: true })
    await waitFor(async () => (await imageOf(container)) === v2, { timeoutMs: DEPLOYED_WITHIN_MS })
    expect(await deployments()).toHaveLength(1)

    // Notifications reach an endpoint one after another, in push order: once the container runs v3,
    // the agent has answered the pushes of the other tag and the other repository before it.
    await buildImage(`${repository}:other`, { content: 'other tag', push: true })
    await buildImage(`${registry.host}/${uniqueName('elsewhere')}:live`, { content: 'other repository', push: true })
    const v3 = await buildImage(ref, { content: 'v3', push: true })
    await waitFor(async () => (await imageOf(container)) === v3, { timeoutMs: DEPLOYED_WITHIN_MS })

    const records = await deployments()
    expect(records.map((record) => record.trigger)).toEqual([
      expect.objectContaining({ source: 'webhook', provider: 'distribution', event: 'push', repository, tag: 'live' }),
      expect.objectContaining({ source: 'webhook', provider: 'distribution', event: 'push', repository, tag: 'live' }),
    ])

    // What the deployment's status URL shows to the holder of the webhook's token, once it has ended
    // (the new container runs before the health wait and the removal of the old one are over).
    const status = await waitFor(async () => {
      const response = await fetch(`${t.agent.url}/v1/deployments/${records[1]!.id}`, { headers: { authorization: `Bearer ${made.token}` } })
      expect(response.status).toBe(200)
      const record = (await response.json()) as DeploymentRecord
      return record.finishedAt ? record : undefined
    })
    expect(status).toMatchObject({
      id: records[1]!.id,
      status: 'succeeded',
      action: 'pull-recreate',
      containerNames: [container],
      trigger: { source: 'webhook', provider: 'distribution', event: 'push', repository, tag: 'live', delivery: expect.any(String) },
      targets: [{ container, status: 'succeeded' }],
    })
    expect(t.logs.join('\n')).not.toContain(made.token.split('.')[2]!.slice(0, 32))
  })
})
