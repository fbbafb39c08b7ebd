import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { gitlabSigningToken, SIGNATURE_TOLERANCE_SECONDS } from '../../../src/hooks/gitlab.ts'
import { fixture, hookRequest, NOW, scenario, type Scenario } from './delivery.ts'

const IMAGES = { web: 'reg.example:5000/acme/web:v1.4.0' }
const HOOK = { provider: 'gitlab', ref: 'refs/heads/main' } as const

/** A GitLab delivery: the token as the hook's secret token, in X-Gitlab-Token. */
function delivery(s: Scenario, event: string, body: string, options: { id?: string; token?: string | null } = {}) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-gitlab-event': event,
    'x-gitlab-instance': 'https://gitlab.example',
    'x-gitlab-webhook-uuid': crypto.randomUUID(),
    'idempotency-key': options.id ?? crypto.randomUUID(),
    'user-agent': 'GitLab/18.0.0',
  }
  const token = options.token === undefined ? s.token : options.token
  if (token !== null) headers['x-gitlab-token'] = token
  return hookRequest('gitlab', { body, headers })
}

/** Standard Webhooks signing as GitLab does it, with the key GitLab decodes from its `whsec_` signing token. */
function signStandard(signingToken: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(signingToken.slice('whsec_'.length), 'base64')
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`
}

describe('GitLab deliveries', () => {
  it('deploys a push to the bound branch', async () => {
    const s = await scenario({ images: IMAGES, hook: HOOK })
    const answer = await s.deliver('gitlab', delivery(s, 'Push Hook', await fixture('gitlab', 'push.json'), { id: 'idem-1' }))
    expect(answer).toEqual({ status: 202, body: { deployment: 'dep-1', containers: ['web'] } })
    expect(s.started[0]?.trigger).toEqual({ source: 'webhook', provider: 'gitlab', event: 'push', repository: 'acme/web', ref: 'refs/heads/main', delivery: 'idem-1' })
  })

  it('deploys a successful pipeline on the branch, and ignores it while it runs', async () => {
    const s = await scenario({ images: IMAGES, hook: { ...HOOK, event: 'pipeline' } })
    expect(await s.deliver('gitlab', delivery(s, 'Pipeline Hook', await fixture('gitlab', 'pipeline-running.json')))).toEqual({
      status: 200,
      body: { ignored: 'pipeline running, not success' },
    })
    expect((await s.deliver('gitlab', delivery(s, 'Pipeline Hook', await fixture('gitlab', 'pipeline-success.json')))).status).toBe(202)
    // The token asks for pipelines: a push is not one.
    expect(await s.deliver('gitlab', delivery(s, 'Push Hook', await fixture('gitlab', 'push.json')))).toEqual({
      status: 200,
      body: { ignored: 'the token deploys for pipeline events, this is push' },
    })
    expect(s.started).toHaveLength(1)
  })

  it('deploys a tag push for a tag pattern', async () => {
    const s = await scenario({ images: IMAGES, hook: { provider: 'gitlab', ref: 'refs/tags/v*' } })
    expect((await s.deliver('gitlab', delivery(s, 'Tag Push Hook', await fixture('gitlab', 'tag_push.json')))).status).toBe(202)
    expect(s.started[0]?.trigger.ref).toBe('refs/tags/v1.4.0')
  })

  it("answers 2xx to the Test button's sample of an event that does not deploy", async () => {
    const s = await scenario({ images: IMAGES, hook: HOOK })
    expect(await s.deliver('gitlab', delivery(s, 'Issue Hook', await fixture('gitlab', 'issue.json')))).toEqual({ status: 200, body: { ignored: 'issue events do not deploy' } })
    expect(s.started).toEqual([])
  })

  it('ignores a push to another branch', async () => {
    const s = await scenario({ images: IMAGES, hook: HOOK })
    const body = (await fixture('gitlab', 'push.json')).replace('refs/heads/main', 'refs/heads/feature')
    expect(await s.deliver('gitlab', delivery(s, 'Push Hook', body))).toMatchObject({ status: 200, body: { ignored: expect.stringContaining('refs/heads/feature') } })
  })

  describe('refuses with 401', () => {
    it('a delivery without the secret token', async () => {
      const s = await scenario({ images: IMAGES, hook: HOOK })
      expect(await s.deliver('gitlab', delivery(s, 'Push Hook', await fixture('gitlab', 'push.json'), { token: null }))).toMatchObject({ status: 401, body: { error: 'missing' } })
    })

    it('a secret token that is not a deploy token', async () => {
      const s = await scenario({ images: IMAGES, hook: HOOK })
      expect(await s.deliver('gitlab', delivery(s, 'Push Hook', await fixture('gitlab', 'push.json'), { token: 'hunter2' }))).toMatchObject({ status: 401, body: { error: 'malformed' } })
    })

    it('a token in the URL: GitLab has a header for it, and URLs end up in logs', async () => {
      const s = await scenario({ images: IMAGES, hook: HOOK })
      const req = delivery(s, 'Push Hook', await fixture('gitlab', 'push.json'), { token: null })
      req.url.searchParams.set('token', s.token)
      expect(await s.deliver('gitlab', req)).toMatchObject({ status: 401, body: { error: 'missing' } })
    })
  })

  it('deploys a re-sent delivery (same Idempotency-Key) only once', async () => {
    const s = await scenario({ images: IMAGES, hook: HOOK })
    const body = await fixture('gitlab', 'push.json')
    expect((await s.deliver('gitlab', delivery(s, 'Push Hook', body, { id: 'idem' }))).status).toBe(202)
    expect(await s.deliver('gitlab', delivery(s, 'Push Hook', body, { id: 'idem' }))).toEqual({ status: 200, body: { ignored: 'delivery idem was already received' } })
    expect(s.started).toHaveLength(1)
  })

  it('answers 400 to a body that is not JSON or not a project hook', async () => {
    const s = await scenario({ images: IMAGES, hook: HOOK })
    expect(await s.deliver('gitlab', delivery(s, 'Push Hook', '{"object_kind":'))).toMatchObject({ status: 400, body: { error: 'malformed_delivery' } })
    expect(await s.deliver('gitlab', delivery(s, 'Push Hook', '{"ref":"refs/heads/main"}'))).toMatchObject({
      status: 400,
      body: { message: 'not a GitLab project hook: unexpected object_kind' },
    })
  })

  describe('signing token (Standard Webhooks)', () => {
    it('is whsec_ and the base64 of the 32 bytes of the webhook secret', async () => {
      const s = await scenario()
      const token = gitlabSigningToken(s.secret)
      expect(token).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
      expect(Buffer.from(token.slice(6), 'base64')).toEqual(Buffer.from(s.secret, 'base64url'))
    })

    async function signed(s: Scenario, options: { body?: string; signedBody?: string; timestamp?: number; extra?: string } = {}) {
      const body = options.body ?? (await fixture('gitlab', 'push.json'))
      const req = delivery(s, 'Push Hook', body, { id: 'sig-1' })
      const timestamp = options.timestamp ?? NOW.getTime() / 1000
      const signature = signStandard(gitlabSigningToken(s.secret), 'sig-1', timestamp, options.signedBody ?? body)
      req.headers.set('webhook-id', 'sig-1')
      req.headers.set('webhook-timestamp', String(timestamp))
      req.headers.set('webhook-signature', options.extra ? `${options.extra} ${signature}` : signature)
      return req
    }

    it('accepts a valid signature, also beside another one', async () => {
      const s = await scenario({ images: IMAGES, hook: HOOK })
      expect((await s.deliver('gitlab', await signed(s))).status).toBe(202)
      const t = await scenario({ images: IMAGES, hook: HOOK })
      expect((await t.deliver('gitlab', await signed(t, { extra: 'v1,AAAA' }))).status).toBe(202)
    })

    it('refuses a signature over another body', async () => {
      const s = await scenario({ images: IMAGES, hook: HOOK })
      const body = await fixture('gitlab', 'push.json')
      const req = await signed(s, { body: body.replace('"total_commits_count": 1', '"total_commits_count": 2'), signedBody: body })
      expect(await s.deliver('gitlab', req)).toMatchObject({ status: 401, body: { error: 'bad_signature' } })
    })

    it(`refuses a timestamp more than ${SIGNATURE_TOLERANCE_SECONDS} s off, and accepts one just inside`, async () => {
      const s = await scenario({ images: IMAGES, hook: HOOK })
      const old = NOW.getTime() / 1000 - SIGNATURE_TOLERANCE_SECONDS - 1
      expect(await s.deliver('gitlab', await signed(s, { timestamp: old }))).toMatchObject({ status: 401, body: { error: 'stale_signature' } })
      expect((await s.deliver('gitlab', await signed(s, { timestamp: old + 2 }))).status).toBe(202)
    })
  })
})
