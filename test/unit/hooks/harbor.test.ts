import { describe, expect, it } from 'vitest'
import { harbor } from '../../../src/hooks/harbor.ts'
import { fixture, hookRequest, scenario, type Scenario } from './delivery.ts'

const IMAGES = { web: 'harbor.example/acme/web:v1.4.0', api: 'harbor.example/acme/api:v1.4.0' }

/** A Harbor delivery: the policy's Auth Header arrives verbatim as Authorization. */
function delivery(s: Scenario, body: string, options: { authorization?: string | null; contentType?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json', 'user-agent': 'Go-http-client/1.1' }
  const authorization = options.authorization === undefined ? s.token : options.authorization
  if (authorization !== null) headers['authorization'] = authorization
  return hookRequest('harbor', { body, headers })
}

describe('Harbor deliveries', () => {
  it.each([
    ['default', 'push-default.json', 'PUSH_ARTIFACT', 'application/json'],
    ['CloudEvents', 'push-cloudevents.json', 'harbor.artifact.pushed', 'application/cloudevents+json'],
  ])('deploy the containers running an artifact pushed by tag (%s format)', async (_, name, event, contentType) => {
    const s = await scenario({ containers: ['web', 'api'], images: IMAGES, hook: { provider: 'harbor' } })
    const answer = await s.deliver('harbor', delivery(s, await fixture('harbor', name), { contentType }))
    expect(answer).toMatchObject({ status: 202, body: { containers: ['web'] } })
    expect(s.started[0]?.trigger).toMatchObject({ provider: 'harbor', event, repository: 'harbor.example/acme/web', tag: 'v1.4.0' })
  })

  it('takes the Auth Header with or without Bearer', async () => {
    const s = await scenario({ images: IMAGES })
    expect((await s.deliver('harbor', delivery(s, await fixture('harbor', 'push-default.json'), { authorization: `Bearer ${s.token}` }))).status).toBe(202)
  })

  it("answers 2xx to the Test Endpoint's payload and to other event types", async () => {
    const s = await scenario({ images: IMAGES })
    expect(await s.deliver('harbor', delivery(s, JSON.stringify({ test: 'ping' })))).toEqual({ status: 200, body: { ignored: 'an event without a type does not deploy' } })
    expect(await s.deliver('harbor', delivery(s, '"hello"'))).toEqual({ status: 200, body: { ignored: 'not a Harbor event (a test delivery?)' } })
    const deleted = (await fixture('harbor', 'push-default.json')).replace('PUSH_ARTIFACT', 'DELETE_ARTIFACT')
    expect(await s.deliver('harbor', delivery(s, deleted))).toEqual({ status: 200, body: { ignored: 'DELETE_ARTIFACT does not deploy' } })
    expect(s.started).toEqual([])
  })

  it('ignores a push by digest, which Harbor reports with the digest as its tag', async () => {
    const s = await scenario({ images: IMAGES })
    const body = JSON.parse(await fixture('harbor', 'push-cloudevents.json')) as { data: { resources: { tag: string; digest: string }[] } }
    body.data.resources[0]!.tag = body.data.resources[0]!.digest
    expect(await s.deliver('harbor', delivery(s, JSON.stringify(body)))).toEqual({ status: 200, body: { ignored: 'the artifact was pushed by digest only (no tag)' } })
  })

  it('ignores a push of an image no container runs', async () => {
    const s = await scenario({ containers: ['api'], images: IMAGES })
    expect(await s.deliver('harbor', delivery(s, await fixture('harbor', 'push-default.json')))).toMatchObject({ status: 200, body: { ignored: expect.stringContaining('harbor.example/acme/web:v1.4.0') } })
  })

  it('refuses a delivery without the Auth Header, or with a wrong one, with 401', async () => {
    const s = await scenario({ images: IMAGES })
    const body = await fixture('harbor', 'push-default.json')
    expect(await s.deliver('harbor', delivery(s, body, { authorization: null }))).toMatchObject({ status: 401, body: { error: 'missing' } })
    expect(await s.deliver('harbor', delivery(s, body, { authorization: 'Basic YWxpY2U6c2VjcmV0' }))).toMatchObject({ status: 401, body: { error: 'missing' } })
    expect(await s.deliver('harbor', delivery(s, body, { authorization: 'v4.local.AAAA' }))).toMatchObject({ status: 401, body: { error: 'wrong_version' } })
  })

  it.each([['default', 'push-default.json'], ['CloudEvents', 'push-cloudevents.json']])('deploys a retried delivery only once (%s format)', async (_, name) => {
    const s = await scenario({ images: IMAGES })
    const body = await fixture('harbor', name)
    expect((await s.deliver('harbor', delivery(s, body))).status).toBe(202)
    expect(await s.deliver('harbor', delivery(s, body))).toMatchObject({ status: 200, body: { ignored: expect.stringContaining('already received') } })
    expect(s.started).toHaveLength(1)
  })

  it('answers 400 to a body that is not JSON, or a push without resources', async () => {
    const s = await scenario({ images: IMAGES })
    expect(await s.deliver('harbor', delivery(s, '{"type": "PUSH_ARTIFACT"'))).toMatchObject({ status: 400, body: { error: 'malformed_delivery' } })
    expect(await s.deliver('harbor', delivery(s, '{"type": "PUSH_ARTIFACT", "event_data": {}}'))).toMatchObject({ status: 400, body: { message: 'not a Harbor event: unexpected event_data.resources' } })
  })

  it('takes the CloudEvents id from the ce-id header in binary mode', () => {
    const body = JSON.parse(JSON.stringify({ specversion: '1.0', type: 'harbor.artifact.pushed', data: { resources: [{ tag: 'v1', resource_url: 'harbor.example/acme/web:v1' }] } })) as object
    expect(harbor.parse(hookRequest('harbor', { body: JSON.stringify(body), headers: { 'ce-id': 'ce-42' } }))).toMatchObject({ deliveryIds: ['ce-42'] })
  })
})
