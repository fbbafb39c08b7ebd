import { describe, expect, it } from 'vitest'
import { hookRequest, hubSignature, scenario, type Scenario } from './delivery.ts'

const IMAGES = { web: 'reg.example/acme/web:v1.4.0', api: 'reg.example/acme/api:v1.4.0' }

function delivery(s: Scenario, body = '', headers: Record<string, string> = {}) {
  return hookRequest('generic', { body, headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json', ...headers } })
}

describe('generic deliveries', () => {
  it('an empty body deploys every container of the token', async () => {
    const s = await scenario({ containers: ['web', 'api'], images: IMAGES, hook: { provider: 'generic' } })
    expect(await s.deliver('generic', delivery(s))).toEqual({ status: 202, body: { deployment: 'dep-1', containers: ['web', 'api'] } })
    expect(s.started[0]?.trigger).toEqual({ source: 'webhook', provider: 'generic', event: 'generic' })
  })

  it('a body naming an image deploys the containers running it', async () => {
    const s = await scenario({ containers: ['web', 'api'], images: IMAGES })
    const answer = await s.deliver('generic', delivery(s, JSON.stringify({ image: 'reg.example/acme/web', tag: 'v1.4.0', digest: `sha256:${'d'.repeat(64)}` })))
    expect(answer).toMatchObject({ status: 202, body: { containers: ['web'] } })
    expect(await s.deliver('generic', delivery(s, JSON.stringify({ image: 'reg.example/acme/api:v1.4.0' })))).toMatchObject({ status: 202, body: { containers: ['api'] } })
  })

  it('a ref is checked against the token ref', async () => {
    const s = await scenario({ images: IMAGES, hook: { provider: 'generic', ref: 'refs/heads/main' } })
    expect(await s.deliver('generic', delivery(s, '{"ref": "refs/heads/dev"}'))).toMatchObject({ status: 200, body: { ignored: expect.stringContaining('refs/heads/dev') } })
    expect(await s.deliver('generic', delivery(s))).toEqual({ status: 200, body: { ignored: 'the token deploys for refs/heads/main, and the request names no ref' } })
    expect(await s.deliver('generic', delivery(s, '{"ref": "main"}'))).toMatchObject({ status: 202 })
  })

  it('answers 2xx to an image no container runs', async () => {
    const s = await scenario({ containers: ['api'], images: IMAGES })
    expect(await s.deliver('generic', delivery(s, '{"image": "reg.example/acme/web:v2"}'))).toEqual({ status: 200, body: { ignored: "none of the token's containers runs reg.example/acme/web:v2" } })
  })

  it('takes the token from X-Deploy-Token or ?token= too', async () => {
    const s = await scenario({ images: IMAGES })
    expect((await s.deliver('generic', hookRequest('generic', { headers: { 'x-deploy-token': s.token } }))).status).toBe(202)
    expect((await s.deliver('generic', hookRequest('generic', { query: { token: s.token } }))).status).toBe(202)
    expect(await s.deliver('generic', hookRequest('generic'))).toMatchObject({ status: 401, body: { error: 'missing' } })
  })

  it('checks a GitHub-style signature when one is sent', async () => {
    const s = await scenario({ images: IMAGES })
    const body = '{"image": "reg.example/acme/web:v1.4.0"}'
    expect((await s.deliver('generic', delivery(s, body, { 'x-hub-signature-256': hubSignature(s.secret, body) }))).status).toBe(202)
    expect(await s.deliver('generic', delivery(s, body, { 'x-hub-signature-256': hubSignature('guess', body) }))).toMatchObject({ status: 401, body: { error: 'bad_signature' } })
  })

  it('deploys a repeated Idempotency-Key only once', async () => {
    const s = await scenario({ images: IMAGES })
    expect((await s.deliver('generic', delivery(s, '', { 'idempotency-key': 'job-77' }))).status).toBe(202)
    expect(await s.deliver('generic', delivery(s, '', { 'idempotency-key': 'job-77' }))).toEqual({ status: 200, body: { ignored: 'delivery job-77 was already received' } })
    expect(s.started).toHaveLength(1)
  })

  it('answers 400 to malformed JSON and to fields of the wrong type', async () => {
    const s = await scenario({ images: IMAGES })
    expect(await s.deliver('generic', delivery(s, '{"image":'))).toMatchObject({ status: 400, body: { message: 'the body is not valid JSON' } })
    expect(await s.deliver('generic', delivery(s, '{"tag": 4}'))).toMatchObject({ status: 400, body: { message: expect.stringContaining('unexpected tag') } })
    expect(await s.deliver('generic', delivery(s, '{"image": "acme/Web:v1"}'))).toMatchObject({ status: 400 })
  })

  it('answers 404 when a container the token names does not exist', async () => {
    const s = await scenario({ containers: ['web', 'gone'], images: IMAGES })
    expect(await s.deliver('generic', delivery(s, '', { 'idempotency-key': 'k' }))).toMatchObject({ status: 404, body: { error: 'container_not_found', missing: ['gone'] } })
    // Not deployed, so the same delivery may be retried once the container is back.
    expect(await s.deliver('generic', delivery(s, '', { 'idempotency-key': 'k' }))).toMatchObject({ status: 404 })
  })
})
