import { describe, expect, it } from 'vitest'
import { gitea } from '../../../src/hooks/gitea.ts'
import { fixture, hexSignature, hookRequest, hubSignature, scenario, type Scenario } from './delivery.ts'

const IMAGES = { web: 'git.example:3000/acme/web:v1.4.0', api: 'git.example:3000/acme/api:v1.4.0' }
const HOOK = { provider: 'gitea', ref: 'refs/heads/main' } as const

interface Options {
  id?: string
  /** The Gitea signature header's value; null leaves it out, '' sends it empty (a hook without secret). */
  signature?: string | null
  form?: boolean
  forgejo?: boolean
}

/** A Gitea (or Forgejo) delivery signed over its JSON payload, the token in the URL. */
function delivery(s: Scenario, event: string, json: string, options: Options = {}) {
  const prefix = options.forgejo ? 'x-forgejo' : 'x-gitea'
  const headers: Record<string, string> = {
    'content-type': options.form ? 'application/x-www-form-urlencoded' : 'application/json',
    [`${prefix}-event`]: event,
    [`${prefix}-delivery`]: options.id ?? crypto.randomUUID(),
  }
  const signature = options.signature === undefined ? hexSignature(s.secret, json) : options.signature
  if (signature !== null) headers[`${prefix}-signature`] = signature
  const body = options.form ? `payload=${encodeURIComponent(json)}` : json
  return hookRequest('gitea', { body, headers, query: { token: s.token } })
}

describe('Gitea / Forgejo deliveries', () => {
  it('deploys a signed push to the bound branch', async () => {
    const s = await scenario({ images: IMAGES, hook: HOOK })
    const answer = await s.deliver('gitea', delivery(s, 'push', await fixture('gitea', 'push.json'), { id: 'g-1' }))
    expect(answer).toEqual({ status: 202, body: { deployment: 'dep-1', containers: ['web'] } })
    expect(s.started[0]?.trigger).toEqual({ source: 'webhook', provider: 'gitea', event: 'push', repository: 'acme/web', ref: 'refs/heads/main', delivery: 'g-1' })
  })

  it("accepts Forgejo's X-Forgejo-* headers", async () => {
    const s = await scenario({ images: IMAGES, hook: HOOK })
    const answer = await s.deliver('gitea', delivery(s, 'push', await fixture('gitea', 'push.json'), { forgejo: true }))
    expect(answer.status).toBe(202)
  })

  it('verifies a form delivery over the JSON payload, not over the form body', async () => {
    const s = await scenario({ images: IMAGES, hook: HOOK })
    const json = await fixture('gitea', 'push.json')
    expect((await s.deliver('gitea', delivery(s, 'push', json, { form: true }))).status).toBe(202)

    const signedForm = hexSignature(s.secret, `payload=${encodeURIComponent(json)}`)
    const wrong = await s.deliver('gitea', delivery(s, 'push', json, { form: true, signature: signedForm }))
    expect(wrong).toMatchObject({ status: 401, body: { error: 'bad_signature' } })
  })

  it('accepts the GitHub-compatible X-Hub-Signature-256 copy', async () => {
    const s = await scenario({ images: IMAGES, hook: HOOK })
    const json = await fixture('gitea', 'push.json')
    const req = delivery(s, 'push', json, { signature: null })
    req.headers.set('x-hub-signature-256', hubSignature(s.secret, json))
    expect((await s.deliver('gitea', req)).status).toBe(202)
  })

  describe('refuses with 401', () => {
    it('a hook without a secret (Gitea then sends the signature header empty)', async () => {
      const s = await scenario({ images: IMAGES, hook: HOOK })
      const answer = await s.deliver('gitea', delivery(s, 'push', await fixture('gitea', 'push.json'), { signature: '' }))
      expect(answer).toMatchObject({ status: 401, body: { error: 'missing_signature' } })
      expect(s.started).toEqual([])
    })

    it('a signature made with another secret, or over another body', async () => {
      const s = await scenario({ images: IMAGES, hook: HOOK })
      const json = await fixture('gitea', 'push.json')
      expect(await s.deliver('gitea', delivery(s, 'push', json, { signature: hexSignature('other', json) }))).toMatchObject({ status: 401, body: { error: 'bad_signature' } })
      const tampered = delivery(s, 'push', json.replace('refs/heads/main', 'refs/heads/maim'), { signature: hexSignature(s.secret, json) })
      expect(await s.deliver('gitea', tampered)).toMatchObject({ status: 401, body: { error: 'bad_signature' } })
    })

    it('a delivery without the token', async () => {
      const s = await scenario({ images: IMAGES, hook: HOOK })
      const req = delivery(s, 'push', await fixture('gitea', 'push.json'))
      req.url.searchParams.delete('token')
      expect(await s.deliver('gitea', req)).toMatchObject({ status: 401, body: { error: 'missing' } })
    })
  })

  it("takes the token from the hook's Authorization header, with or without Bearer", async () => {
    const s = await scenario({ images: IMAGES, hook: HOOK })
    for (const value of [s.token, `Bearer ${s.token}`]) {
      const req = delivery(s, 'push', await fixture('gitea', 'push.json'))
      req.url.searchParams.delete('token')
      req.headers.set('authorization', value)
      expect((await s.deliver('gitea', req)).status).toBe(202)
    }
  })

  it('answers 2xx to events that do not deploy and pushes to other branches', async () => {
    const s = await scenario({ images: IMAGES, hook: HOOK })
    const issues = JSON.stringify({ action: 'opened', issue: { number: 1 } })
    expect(await s.deliver('gitea', delivery(s, 'issues', issues))).toEqual({ status: 200, body: { ignored: 'issues events do not deploy' } })
    const dev = (await fixture('gitea', 'push.json')).replace('refs/heads/main', 'refs/heads/dev')
    expect(await s.deliver('gitea', delivery(s, 'push', dev))).toMatchObject({ status: 200, body: { ignored: expect.stringContaining('refs/heads/dev') } })
    expect(s.started).toEqual([])
  })

  it('deploys a redelivery (same X-Gitea-Delivery) only once', async () => {
    const s = await scenario({ images: IMAGES, hook: HOOK })
    const json = await fixture('gitea', 'push.json')
    expect((await s.deliver('gitea', delivery(s, 'push', json, { id: 'same' }))).status).toBe(202)
    expect(await s.deliver('gitea', delivery(s, 'push', json, { id: 'same' }))).toMatchObject({ status: 200, body: { ignored: expect.stringContaining('already received') } })
    expect(s.started).toHaveLength(1)
  })

  it('answers 400 to a signed payload that is not JSON', async () => {
    const s = await scenario({ images: IMAGES, hook: HOOK })
    expect(await s.deliver('gitea', delivery(s, 'push', 'ref=refs/heads/main'))).toMatchObject({ status: 400, body: { error: 'malformed_delivery' } })
  })

  it('deploys the containers running a created container package', async () => {
    const s = await scenario({ containers: ['web', 'api'], images: IMAGES, hook: HOOK })
    const answer = await s.deliver('gitea', delivery(s, 'package', await fixture('gitea', 'package-created.json')))
    expect(answer).toMatchObject({ status: 202, body: { containers: ['web'] } })
    expect(s.started[0]?.trigger).toMatchObject({ event: 'package', repository: 'git.example:3000/acme/web', tag: 'v1.4.0' })
  })

  it('deploys a published release for a tag pattern', async () => {
    const s = await scenario({ images: IMAGES, hook: { provider: 'gitea', ref: 'refs/tags/v*' } })
    const answer = await s.deliver('gitea', delivery(s, 'release', await fixture('gitea', 'release-published.json')))
    expect(answer).toMatchObject({ status: 202, body: { containers: ['web'] } })
  })
})

describe('Gitea event handling', () => {
  const parse = (event: string, body: unknown) => gitea.parse(hookRequest('gitea', { body: JSON.stringify(body), headers: { 'x-gitea-event': event } }))
  const pkg = (changes: Record<string, unknown>, action = 'created') => ({
    action,
    package: { type: 'container', name: 'web', version: 'v1', owner: { login: 'acme' }, html_url: 'https://git.example/acme/-/packages/container/web/v1', ...changes },
  })

  it('ignores digest pushes, deletions and other package types', () => {
    expect(parse('package', pkg({ version: `sha256:${'a'.repeat(64)}` }))).toEqual({ kind: 'ignored', reason: 'the image was pushed by digest only (no tag)' })
    expect(parse('package', pkg({}, 'deleted'))).toEqual({ kind: 'ignored', reason: 'package deleted, not created' })
    expect(parse('package', pkg({ type: 'npm' }))).toEqual({ kind: 'ignored', reason: 'npm package is not a container image' })
  })

  it('takes the registry host from html_url', () => {
    expect(parse('package', pkg({}))).toMatchObject({ trigger: { pushes: [{ image: { registry: 'git.example', repository: 'acme/web', tag: 'v1' } }] } })
  })

  it('ignores a push that deletes a branch', () => {
    expect(parse('push', { ref: 'refs/heads/old', after: '0'.repeat(40) })).toEqual({ kind: 'ignored', reason: 'push deleted refs/heads/old' })
  })
})
