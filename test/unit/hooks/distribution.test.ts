import { describe, expect, it } from 'vitest'
import { distribution } from '../../../src/hooks/distribution.ts'
import { fixture, hookRequest, scenario, type Scenario } from './delivery.ts'

const V1 = 'application/vnd.docker.distribution.events.v1+json'
const V2 = 'application/vnd.docker.distribution.events.v2+json'
const IMAGES = { web: 'reg.example:5000/acme/web:v1.4.0', api: 'reg.example:5000/acme/api:v1.4.0', hub: 'acme/web:v1.4.0' }

/** A registry notification, with the Authorization header configured on the endpoint. */
function delivery(s: Scenario, body: string, options: { contentType?: string; authorization?: string | null } = {}) {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? V1, 'user-agent': 'Go-http-client/1.1' }
  const authorization = options.authorization === undefined ? `Bearer ${s.token}` : options.authorization
  if (authorization !== null) headers['authorization'] = authorization
  return hookRequest('distribution', { body, headers })
}

describe('registry notifications (CNCF distribution)', () => {
  it('deploys for the manifest pushed by tag and ignores the blob, child-manifest and pull events beside it', async () => {
    const s = await scenario({ containers: ['web', 'api', 'hub'], images: IMAGES, hook: { provider: 'distribution' } })
    const answer = await s.deliver('distribution', delivery(s, await fixture('distribution', 'envelope-v1.json')))
    expect(answer).toEqual({ status: 202, body: { deployment: 'dep-1', containers: ['web'] } })
    expect(s.started[0]?.trigger).toEqual({ source: 'webhook', provider: 'distribution', event: 'push', repository: 'reg.example:5000/acme/web', tag: 'v1.4.0', delivery: 'evt-index-3' })
  })

  it.each([
    ['registry 2.x', V1],
    ['registry 3.x', V2],
    ['plain JSON', 'application/json'],
  ])('accepts the %s envelope (%s)', async (_, contentType) => {
    const s = await scenario({ images: IMAGES })
    expect((await s.deliver('distribution', delivery(s, await fixture('distribution', 'envelope-v1.json'), { contentType }))).status).toBe(202)
  })

  it('makes one deployment of several matching events in one envelope', async () => {
    const s = await scenario({ containers: ['web', 'api'], images: IMAGES })
    const event = (id: string, repository: string) => ({
      id,
      action: 'push',
      target: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: `sha256:${'e'.repeat(64)}`, repository, tag: 'v1.4.0' },
      request: { host: 'reg.example:5000' },
    })
    const body = JSON.stringify({ events: [event('a', 'acme/web'), event('b', 'acme/api'), event('c', 'acme/web')] })
    expect(await s.deliver('distribution', delivery(s, body))).toMatchObject({ status: 202, body: { containers: ['web', 'api'] } })
    expect(s.started).toHaveLength(1)
  })

  it('answers 2xx to envelopes with nothing to deploy: deletes, and pushes of images no container runs', async () => {
    const s = await scenario({ containers: ['api'], images: IMAGES })
    expect(await s.deliver('distribution', delivery(s, await fixture('distribution', 'delete.json')))).toMatchObject({ status: 200, body: { ignored: expect.stringContaining('no manifest was pushed by tag') } })
    expect(await s.deliver('distribution', delivery(s, await fixture('distribution', 'envelope-v1.json')))).toEqual({
      status: 200,
      body: { ignored: "none of the token's containers runs reg.example:5000/acme/web:v1.4.0" },
    })
    expect(await s.deliver('distribution', delivery(s, '{"events":[]}'))).toMatchObject({ status: 200 })
    expect(s.started).toEqual([])
  })

  it('takes the Authorization header with or without Bearer', async () => {
    const s = await scenario({ images: IMAGES })
    const body = await fixture('distribution', 'envelope-v1.json')
    expect((await s.deliver('distribution', delivery(s, body, { authorization: s.token }))).status).toBe(202)
    const t = await scenario({ images: IMAGES })
    expect((await t.deliver('distribution', delivery(t, body, { authorization: `bearer ${t.token}` }))).status).toBe(202)
  })

  it('refuses an envelope without the Authorization header, or with a wrong one, with 401', async () => {
    const s = await scenario({ images: IMAGES })
    const body = await fixture('distribution', 'envelope-v1.json')
    expect(await s.deliver('distribution', delivery(s, body, { authorization: null }))).toMatchObject({ status: 401, body: { error: 'missing' } })
    expect(await s.deliver('distribution', delivery(s, body, { authorization: 'Bearer v4.public.bm90IGEgdG9rZW4' }))).toMatchObject({ status: 401 })
    // The token in the URL is not accepted: the registry can send a header, and URLs get logged.
    const inUrl = delivery(s, body, { authorization: null })
    inUrl.url.searchParams.set('token', s.token)
    expect(await s.deliver('distribution', inUrl)).toMatchObject({ status: 401, body: { error: 'missing' } })
    expect(s.started).toEqual([])
  })

  it('deploys a retried envelope (same event ids) only once', async () => {
    const s = await scenario({ images: IMAGES })
    const body = await fixture('distribution', 'envelope-v1.json')
    expect((await s.deliver('distribution', delivery(s, body))).status).toBe(202)
    expect(await s.deliver('distribution', delivery(s, body))).toEqual({ status: 200, body: { ignored: 'delivery evt-index-3 was already received' } })
    expect(s.started).toHaveLength(1)
  })

  it('deploys the same event once per token: every endpoint gets the same event id', async () => {
    const body = await fixture('distribution', 'envelope-v1.json')
    const [first, second] = [await scenario({ images: IMAGES }), await scenario({ images: IMAGES })]
    expect((await first.deliver('distribution', delivery(first, body))).status).toBe(202)
    expect((await second.deliver('distribution', delivery(second, body))).status).toBe(202)
  })

  it('answers 400 to a body that is not JSON or not an envelope', async () => {
    const s = await scenario({ images: IMAGES })
    expect(await s.deliver('distribution', delivery(s, '{"events": [}'))).toMatchObject({ status: 400, body: { error: 'malformed_delivery' } })
    expect(await s.deliver('distribution', delivery(s, '{"event": {}}'))).toMatchObject({ status: 400, body: { message: 'not a registry notification envelope: unexpected events' } })
  })

  it('falls back to the host of target.url when request.host is missing', () => {
    const body = JSON.stringify({
      events: [{ id: 'x', action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', repository: 'app', tag: 'v2', url: 'http://127.0.0.1:5000/v2/app/manifests/v2' } }],
    })
    expect(distribution.parse(hookRequest('distribution', { body }))).toMatchObject({
      trigger: { pushes: [{ image: { registry: '127.0.0.1:5000', repository: 'app', tag: 'v2' } }] },
    })
  })
})
