import { describe, expect, it } from 'vitest'
import { dockerhub } from '../../../src/hooks/dockerhub.ts'
import { fixture, hookRequest, scenario, type Scenario } from './delivery.ts'

// Docker Hub's own images appear under every spelling the Engine accepts.
const IMAGES = { web: 'acme/web:v1.4.0', hub: 'docker.io/acme/web:v1.4.0', old: 'acme/web:v1.3.0', other: 'reg.example:5000/acme/web:v1.4.0' }

/** A Docker Hub delivery: only a URL, so the token is in it. */
function delivery(s: Scenario, body: string, query: Record<string, string> = { token: s.token }) {
  return hookRequest('dockerhub', { body, headers: { 'content-type': 'application/json' }, query })
}

describe('Docker Hub deliveries', () => {
  it('deploys the containers running the pushed repository and tag, however their reference is spelled', async () => {
    const s = await scenario({ containers: ['web', 'hub', 'old', 'other'], images: IMAGES, hook: { provider: 'dockerhub' } })
    const answer = await s.deliver('dockerhub', delivery(s, await fixture('dockerhub', 'push.json')))
    expect(answer).toEqual({ status: 202, body: { deployment: 'dep-1', containers: ['web', 'hub'] } })
    expect(s.started[0]?.trigger).toEqual({
      source: 'webhook',
      provider: 'dockerhub',
      event: 'push',
      repository: 'docker.io/acme/web',
      tag: 'v1.4.0',
      delivery: 'acme/web:v1.4.0@1735689600',
    })
  })

  it('matches an official image by its short name', async () => {
    const s = await scenario({ containers: ['proxy'], images: { proxy: 'nginx' } })
    const body = JSON.stringify({ push_data: { tag: 'latest', pushed_at: 1 }, repository: { repo_name: 'library/nginx', name: 'nginx', namespace: 'library' } })
    expect(await s.deliver('dockerhub', delivery(s, body))).toMatchObject({ status: 202, body: { containers: ['proxy'] } })
  })

  it('ignores a push of a tag no container runs', async () => {
    const s = await scenario({ containers: ['old'], images: IMAGES })
    expect(await s.deliver('dockerhub', delivery(s, await fixture('dockerhub', 'push.json')))).toEqual({
      status: 200,
      body: { ignored: "none of the token's containers runs docker.io/acme/web:v1.4.0" },
    })
  })

  it('answers 2xx to a delivery that names no tag (nothing to deploy)', async () => {
    const s = await scenario({ images: IMAGES })
    expect(await s.deliver('dockerhub', delivery(s, JSON.stringify({ push_data: {}, repository: { repo_name: 'acme/web' } })))).toEqual({
      status: 200,
      body: { ignored: 'the push names no tag' },
    })
  })

  it('refuses a delivery without a token, or with a wrong one, with 401', async () => {
    const s = await scenario({ images: IMAGES })
    const body = await fixture('dockerhub', 'push.json')
    expect(await s.deliver('dockerhub', delivery(s, body, {}))).toMatchObject({ status: 401, body: { error: 'missing' } })
    const forged = s.token.slice(0, -4) + (s.token.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    expect(await s.deliver('dockerhub', delivery(s, body, { token: forged }))).toMatchObject({ status: 401 })
    expect(s.started).toEqual([])
  })

  it('deploys a resent push (same repository, tag and pushed_at) only once', async () => {
    const s = await scenario({ images: IMAGES })
    const body = await fixture('dockerhub', 'push.json')
    expect((await s.deliver('dockerhub', delivery(s, body))).status).toBe(202)
    expect(await s.deliver('dockerhub', delivery(s, body))).toMatchObject({ status: 200, body: { ignored: expect.stringContaining('already received') } })
    expect((await s.deliver('dockerhub', delivery(s, body.replace('1735689600', '1735689700')))).status).toBe(202)
    expect(s.started).toHaveLength(2)
  })

  it('answers 400 to a body that is not JSON', async () => {
    const s = await scenario({ images: IMAGES })
    expect(await s.deliver('dockerhub', delivery(s, 'push_data=1'))).toMatchObject({ status: 400, body: { error: 'malformed_delivery' } })
  })

  it('needs no signature', async () => {
    expect(await dockerhub.verify(hookRequest('dockerhub'), 'secret')).toEqual({ ok: true, signed: false })
  })
})
