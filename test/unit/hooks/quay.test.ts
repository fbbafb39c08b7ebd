import { describe, expect, it } from 'vitest'
import { fixture, hookRequest, scenario, type Scenario } from './delivery.ts'

const IMAGES = { web: 'quay.example/acme/web:v1.4.0', edge: 'quay.example/acme/web', api: 'quay.example/acme/api:v1.4.0' }

/** A Quay notification: only a URL, so the token is in it. */
function delivery(s: Scenario, body: string, query: Record<string, string> = { token: s.token }) {
  return hookRequest('quay', { body, headers: { 'content-type': 'application/json' }, query })
}

describe('Quay deliveries', () => {
  it('deploys the containers running any of the updated tags, in one deployment', async () => {
    const s = await scenario({ containers: ['web', 'edge', 'api'], images: IMAGES, hook: { provider: 'quay' } })
    const answer = await s.deliver('quay', delivery(s, await fixture('quay', 'repo_push.json')))
    expect(answer).toEqual({ status: 202, body: { deployment: 'dep-1', containers: ['web', 'edge'] } })
    expect(s.started).toHaveLength(1)
    expect(s.started[0]?.trigger).toEqual({ source: 'webhook', provider: 'quay', event: 'repo_push', repository: 'quay.example/acme/web', tag: 'v1.4.0' })
  })

  it('reads the older map shape of updated_tags', async () => {
    const s = await scenario({ containers: ['web', 'edge'], images: IMAGES })
    expect(await s.deliver('quay', delivery(s, await fixture('quay', 'repo_push-legacy.json')))).toMatchObject({ status: 202, body: { containers: ['web'] } })
  })

  it('applies the token tag pattern', async () => {
    const s = await scenario({ containers: ['web', 'edge'], images: IMAGES, hook: { provider: 'quay', tag: 'v*' } })
    expect(await s.deliver('quay', delivery(s, await fixture('quay', 'repo_push.json')))).toMatchObject({ status: 202, body: { containers: ['web'] } })
  })

  it('answers 2xx to a notification that updated no tag, or tags no container runs', async () => {
    const s = await scenario({ containers: ['api'], images: IMAGES })
    const body = JSON.parse(await fixture('quay', 'repo_push.json')) as Record<string, unknown>
    expect(await s.deliver('quay', delivery(s, JSON.stringify({ ...body, updated_tags: [] })))).toEqual({ status: 200, body: { ignored: 'the push updated no tag' } })
    expect(await s.deliver('quay', delivery(s, JSON.stringify(body)))).toMatchObject({ status: 200, body: { ignored: expect.stringContaining('quay.example/acme/web:v1.4.0') } })
    expect(s.started).toEqual([])
  })

  it('refuses a notification without the token, or with a wrong one, with 401', async () => {
    const s = await scenario({ images: IMAGES })
    const body = await fixture('quay', 'repo_push.json')
    expect(await s.deliver('quay', delivery(s, body, {}))).toMatchObject({ status: 401, body: { error: 'missing' } })
    expect(await s.deliver('quay', delivery(s, body, { token: 'v4.public.' }))).toMatchObject({ status: 401, body: { error: 'malformed' } })
  })

  it('answers 400 to a body that is not JSON', async () => {
    const s = await scenario({ images: IMAGES })
    expect(await s.deliver('quay', delivery(s, '<xml/>'))).toMatchObject({ status: 400, body: { error: 'malformed_delivery' } })
  })

  // Quay sends no delivery id and nothing that changes between pushes of the same tag, so a resend
  // cannot be told from a new push: both deploy (the deployer coalesces deploys of one container).
  it('deploys every notification, having no id to tell a resend by', async () => {
    const s = await scenario({ images: IMAGES })
    const body = await fixture('quay', 'repo_push.json')
    expect((await s.deliver('quay', delivery(s, body))).status).toBe(202)
    expect((await s.deliver('quay', delivery(s, body))).status).toBe(202)
    expect(s.started).toHaveLength(2)
  })
})
