import { describe, expect, it } from 'vitest'
import { github } from '../../../src/hooks/github.ts'
import { fixture, hookRequest, hubSignature, scenario, sharedGithubFixture, type Scenario } from './delivery.ts'

const IMAGES = { web: 'ghcr.io/acme/web:v1.4.0', api: 'ghcr.io/acme/api:v1.4.0' }

let deliveryCounter = 0

/** A signed GitHub delivery for scenario `s`, the token in the URL as GitHub must carry it. */
function delivery(s: Scenario, event: string, body: string, options: { id?: string; signature?: string | null; contentType?: string } = {}) {
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/json',
    'x-github-event': event,
    'x-github-delivery': options.id ?? `00000000-0000-4000-8000-${String(++deliveryCounter).padStart(12, '0')}`,
    'user-agent': 'GitHub-Hookshot/test',
  }
  const signature = options.signature === undefined ? hubSignature(s.secret, body) : options.signature
  if (signature !== null) headers['x-hub-signature-256'] = signature
  return hookRequest('github', { body, headers, query: { token: s.token } })
}

describe('GitHub deliveries', () => {
  it('deploys a signed push to the bound branch', async () => {
    const s = await scenario({ containers: ['web'], images: IMAGES, hook: { provider: 'github', ref: 'refs/heads/main' } })
    const answer = await s.deliver('github', delivery(s, 'push', await fixture('github', 'push-main.json'), { id: 'push-1' }))
    expect(answer).toEqual({ status: 202, body: { deployment: 'dep-1', containers: ['web'] } })
    expect(s.started).toEqual([
      {
        containerNames: ['web'],
        action: 'pull-recreate',
        cleanup: true,
        jti: s.jti,
        trigger: { source: 'webhook', provider: 'github', event: 'push', repository: 'acme/web', ref: 'refs/heads/main', delivery: 'push-1' },
      },
    ])
  })

  it('ignores a push to another branch with a 2xx', async () => {
    const s = await scenario({ images: IMAGES, hook: { provider: 'github', ref: 'refs/heads/main' } })
    const body = (await fixture('github', 'push-main.json')).replace('refs/heads/main', 'refs/heads/dev')
    const answer = await s.deliver('github', delivery(s, 'push', body))
    expect(answer).toEqual({ status: 200, body: { ignored: "refs/heads/dev does not match the token's ref refs/heads/main" } })
    expect(s.started).toEqual([])
  })

  it('answers the ping with a 2xx and deploys nothing', async () => {
    const s = await scenario({ images: IMAGES, hook: { provider: 'github', ref: 'refs/heads/main' } })
    const answer = await s.deliver('github', delivery(s, 'ping', await sharedGithubFixture('ping.json')))
    expect(answer.status).toBe(200)
    expect(answer.body['ignored']).toMatch(/ping/)
    expect(s.started).toEqual([])
  })

  it('deploys a redelivery (same X-GitHub-Delivery) only once, and a new delivery again', async () => {
    const s = await scenario({ images: IMAGES, hook: { provider: 'github', ref: 'refs/heads/main' } })
    const body = await fixture('github', 'push-main.json')
    expect((await s.deliver('github', delivery(s, 'push', body, { id: 'same' }))).status).toBe(202)
    const again = await s.deliver('github', delivery(s, 'push', body, { id: 'same' }))
    expect(again).toEqual({ status: 200, body: { ignored: 'delivery same was already received' } })
    expect(s.started).toHaveLength(1)
    expect((await s.deliver('github', delivery(s, 'push', body, { id: 'next' }))).status).toBe(202)
    expect(s.started).toHaveLength(2)
  })

  describe('refuses with 401', () => {
    it('a delivery without a signature', async () => {
      const s = await scenario({ images: IMAGES, hook: { provider: 'github', ref: 'refs/heads/main' } })
      const answer = await s.deliver('github', delivery(s, 'push', await fixture('github', 'push-main.json'), { signature: null }))
      expect(answer).toMatchObject({ status: 401, body: { error: 'missing_signature' } })
      expect(s.started).toEqual([])
    })

    it('a signature made with another secret', async () => {
      const s = await scenario({ images: IMAGES, hook: { provider: 'github', ref: 'refs/heads/main' } })
      const body = await fixture('github', 'push-main.json')
      const answer = await s.deliver('github', delivery(s, 'push', body, { signature: hubSignature('not the secret', body) }))
      expect(answer).toMatchObject({ status: 401, body: { error: 'bad_signature' } })
    })

    it('a body changed by one byte after signing', async () => {
      const s = await scenario({ images: IMAGES, hook: { provider: 'github', ref: 'refs/heads/main' } })
      const body = await fixture('github', 'push-main.json')
      const answer = await s.deliver('github', delivery(s, 'push', body.replace('"forced": false', '"forced": falsE'), { signature: hubSignature(s.secret, body) }))
      expect(answer).toMatchObject({ status: 401, body: { error: 'bad_signature' } })
      expect(s.started).toEqual([])
    })

    it('a SHA-1 signature in place of SHA-256', async () => {
      const s = await scenario({ images: IMAGES, hook: { provider: 'github', ref: 'refs/heads/main' } })
      const body = await fixture('github', 'push-main.json')
      const answer = await s.deliver('github', delivery(s, 'push', body, { signature: hubSignature(s.secret, body).replace('sha256=', 'sha1=') }))
      expect(answer).toMatchObject({ status: 401, body: { error: 'bad_signature' } })
    })

    it('a delivery without the token in its URL', async () => {
      const s = await scenario({ images: IMAGES, hook: { provider: 'github', ref: 'refs/heads/main' } })
      const req = delivery(s, 'push', await fixture('github', 'push-main.json'))
      req.url.searchParams.delete('token')
      expect(await s.deliver('github', req)).toMatchObject({ status: 401, body: { error: 'missing' } })
    })
  })

  it('refuses a GitHub-bound token on another endpoint', async () => {
    const s = await scenario({ images: IMAGES, hook: { provider: 'github', ref: 'refs/heads/main' } })
    const answer = await s.deliver('generic', hookRequest('generic', { headers: { authorization: `Bearer ${s.token}` } }))
    expect(answer).toMatchObject({ status: 403, body: { error: 'wrong_endpoint' } })
  })

  it('answers 400 to a signed body that is not JSON', async () => {
    const s = await scenario({ images: IMAGES, hook: { provider: 'github', ref: 'refs/heads/main' } })
    const answer = await s.deliver('github', delivery(s, 'push', '{"ref": "refs/heads/main",'))
    expect(answer).toEqual({ status: 400, body: { error: 'malformed_delivery', message: 'the body is not valid JSON' } })
  })

  it('verifies a form-encoded delivery over the raw form body, then reads its payload', async () => {
    const s = await scenario({ images: IMAGES, hook: { provider: 'github', ref: 'refs/heads/main' } })
    const json = await fixture('github', 'push-main.json')
    const form = `payload=${encodeURIComponent(json)}`
    const answer = await s.deliver('github', delivery(s, 'push', form, { contentType: 'application/x-www-form-urlencoded' }))
    expect(answer.status).toBe(202)
    expect(s.started[0]?.trigger.ref).toBe('refs/heads/main')

    // Signing the decoded JSON (Gitea's way) is not GitHub's way.
    const wrong = await s.deliver('github', delivery(s, 'push', form, { contentType: 'application/x-www-form-urlencoded', signature: hubSignature(s.secret, json) }))
    expect(wrong).toMatchObject({ status: 401, body: { error: 'bad_signature' } })
  })

  it('deploys the containers that run a published container image, and only those', async () => {
    const s = await scenario({ containers: ['web', 'api'], images: IMAGES, hook: { provider: 'github', ref: 'refs/heads/main' } })
    const answer = await s.deliver('github', delivery(s, 'package', await fixture('github', 'package-published.json')))
    expect(answer).toMatchObject({ status: 202, body: { containers: ['web'] } })
    expect(s.started[0]?.trigger).toMatchObject({ event: 'package', repository: 'ghcr.io/acme/web', tag: 'v1.4.0' })
  })

  it('reads a registry_package delivery the same way', async () => {
    const s = await scenario({ images: IMAGES })
    const body = JSON.stringify({ ...JSON.parse(await fixture('github', 'package-published.json')), package: undefined, registry_package: JSON.parse(await fixture('github', 'package-published.json')).package })
    const answer = await s.deliver('github', delivery(s, 'registry_package', body))
    expect(answer).toMatchObject({ status: 202, body: { containers: ['web'] } })
  })

  it('ignores a published image no container of the token runs', async () => {
    const s = await scenario({ containers: ['api'], images: IMAGES })
    const answer = await s.deliver('github', delivery(s, 'package', await fixture('github', 'package-published.json')))
    expect(answer).toEqual({ status: 200, body: { ignored: "none of the token's containers runs ghcr.io/acme/web:v1.4.0" } })
  })
})

describe('the real GitHub deliveries in the shared fixtures', () => {
  const parse = async (event: string, name: string, id = 'delivery-1') =>
    github.parse(hookRequest('github', { body: await sharedGithubFixture(name), headers: { 'x-github-event': event, 'x-github-delivery': id } }))

  it('ping.json is a ping', async () => {
    expect(await parse('ping', 'ping.json')).toMatchObject({ kind: 'ping' })
  })

  it('push.json deletes a tag, which deploys nothing', async () => {
    expect(await parse('push', 'push.json')).toEqual({ kind: 'ignored', reason: 'push deleted refs/tags/simple-tag' })
  })

  it('workflow_run-completed.json is a successful run on master', async () => {
    expect(await parse('workflow_run', 'workflow_run-completed.json')).toEqual({
      kind: 'event',
      event: 'workflow_run',
      deliveryIds: ['delivery-1'],
      trigger: { type: 'git', ref: 'refs/heads/master' },
      summary: { repository: 'octo-org/octo-repo', ref: 'refs/heads/master' },
    })
  })

  it('release-published.json is a release of tag 0.0.1', async () => {
    expect(await parse('release', 'release-published.json')).toMatchObject({
      kind: 'event',
      trigger: { type: 'git', ref: 'refs/tags/0.0.1' },
      summary: { repository: 'Codertocat/Hello-World', tag: '0.0.1' },
    })
  })

  it.each([
    ['package', 'package-published.docker.json'],
    ['registry_package', 'registry_package-published.docker.json'],
  ])('%s with an empty tag.name is a digest-only publish, ignored', async (event, name) => {
    expect(await parse(event, name)).toEqual({ kind: 'ignored', reason: 'the package version was published by digest only (no tag)' })
  })

  it('the same package delivery with a tag names the lower-cased ghcr.io image of its package_url', async () => {
    const body = JSON.parse(await sharedGithubFixture('registry_package-published.docker.json')) as {
      registry_package: { package_version: { container_metadata: { tag: { name: string } } } }
    }
    body.registry_package.package_version.container_metadata.tag.name = 'nightly'
    const parsed = github.parse(hookRequest('github', { body: JSON.stringify(body), headers: { 'x-github-event': 'registry_package' } }))
    expect(parsed).toMatchObject({
      kind: 'event',
      trigger: { type: 'image', pushes: [{ image: { registry: 'ghcr.io', repository: 'codertocat/hello-world', tag: 'nightly' }, digest: 'sha256:6c62fb45fe66bfb1ea9a66abc38f6a0cc974292b' }] },
    })
  })

  it('a signed real workflow_run delivery deploys a token bound to master', async () => {
    const s = await scenario({ images: { web: 'ghcr.io/acme/web:v1' }, hook: { provider: 'github', ref: 'refs/heads/master', event: 'workflow_run' } })
    const answer = await s.deliver('github', delivery(s, 'workflow_run', await sharedGithubFixture('workflow_run-completed.json')))
    expect(answer).toMatchObject({ status: 202, body: { containers: ['web'] } })
  })

  it('a signed real release deploys a token bound to refs/tags/*', async () => {
    const s = await scenario({ images: { web: 'ghcr.io/acme/web:v1' }, hook: { provider: 'github', ref: 'refs/tags/*' } })
    const answer = await s.deliver('github', delivery(s, 'release', await sharedGithubFixture('release-published.json')))
    expect(answer).toMatchObject({ status: 202, body: { containers: ['web'] } })
  })
})

describe('GitHub event handling', () => {
  const parse = (event: string, body: unknown) => github.parse(hookRequest('github', { body: JSON.stringify(body), headers: { 'x-github-event': event } }))

  it('ignores a failed workflow run and one that is not completed', async () => {
    expect(github.parse(hookRequest('github', { body: await fixture('github', 'workflow_run-failure.json'), headers: { 'x-github-event': 'workflow_run' } }))).toEqual({
      kind: 'ignored',
      reason: 'workflow run concluded failure',
    })
    expect(parse('workflow_run', { action: 'requested', workflow_run: { conclusion: null, head_branch: 'main' } })).toEqual({ kind: 'ignored', reason: 'workflow run requested, not completed' })
  })

  it('acts on a release once: published, not released or prereleased', () => {
    expect(parse('release', { action: 'released', release: { tag_name: 'v1' } })).toMatchObject({ kind: 'ignored' })
    expect(parse('release', { action: 'published', release: { tag_name: 'v1' } })).toMatchObject({ kind: 'event', trigger: { ref: 'refs/tags/v1' } })
  })

  it('ignores events that do not deploy, and non-container packages', () => {
    expect(parse('issues', { action: 'opened' })).toEqual({ kind: 'ignored', reason: 'issues events do not deploy' })
    expect(parse('package', { action: 'published', package: { name: 'lib', ecosystem: 'npm', package_version: { package_url: 'npm/lib' } } })).toEqual({
      kind: 'ignored',
      reason: 'npm package is not a container image',
    })
  })

  it('calls a push without a ref malformed, naming the field only', () => {
    expect(parse('push', { ref: 42, after: 'secret-looking-value' })).toEqual({ kind: 'malformed', message: 'not a push event: unexpected ref' })
  })

  it('needs the event header', () => {
    expect(github.parse(hookRequest('github', { body: '{}' }))).toEqual({ kind: 'malformed', message: 'no X-GitHub-Event header' })
  })
})
