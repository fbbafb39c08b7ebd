/**
 * `POST /v1/hooks/:provider` through the whole app (`app.request`, no server): provider lookup,
 * where each provider's token is read, the body limit, the answers, and that no token reaches a log
 * line. Signatures are made with node:crypto, independently of src/hooks/signatures.ts.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../../src/app.ts'
import type { Deployer, DeployRequest, StartResult } from '../../../src/deploy.ts'
import { WEBHOOK_BODY_LIMIT_BYTES } from '../../../src/middleware/http-hygiene.ts'
import type { LogFields, Logger } from '../../../src/ports.ts'
import type { HookBinding } from '../../../src/tokens/claims.ts'
import { hookSecretFor } from '../../../src/tokens/hook-secret.ts'
import { generateSecretPaserk, importSigningKey, importVerificationKey } from '../../../src/tokens/keys.ts'
import { mintToken } from '../../../src/tokens/mint.ts'
import { createTokenVerifier, staticKeyRing } from '../../../src/tokens/verify.ts'

const NOW = new Date('2026-03-01T12:00:00Z')
const PUBLIC_URL = 'https://deploy.example.com'
const IMAGE = 'reg.example:5000/acme/web:v1'
const healthy = { check: async () => ({ ok: true as const, detail: 'test' }) }

interface SetupOptions {
  limit?: number
  /** Leave out the hook ports, as an edge without agents does. */
  noHooks?: boolean
  containerImages?: (names: readonly string[]) => Promise<ReadonlyMap<string, string>>
  start?: (request: DeployRequest) => Promise<StartResult>
}

async function setup(options: SetupOptions = {}) {
  const signer = await importSigningKey(await generateSecretPaserk())
  const hookKey = new Uint8Array(randomBytes(32))
  const lines: string[] = []
  const record = (level: string) => (message: string, fields?: LogFields) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`)
  const logger: Logger = { info: record('info'), warn: record('warn'), error: record('error') }
  const started: DeployRequest[] = []
  const deployer: Deployer = {
    start:
      options.start ??
      (async (request) => {
        started.push(request)
        return { ok: true, deployment: { id: `dep-${started.length}`, events: async function* () {}, done: new Promise(() => {}) } }
      }),
    get: async () => undefined,
  }
  const app = createApp({
    health: healthy,
    tokens: createTokenVerifier({ keys: staticKeyRing([await importVerificationKey(signer.publicKey)]), revocations: { isRevoked: () => false }, now: () => NOW }),
    clientAddress: () => '192.0.2.1',
    authFailureLimit: options.limit ?? 0,
    now: () => NOW,
    logger,
    deployer,
    publicUrl: PUBLIC_URL,
    ...(options.noHooks
      ? {}
      : {
          hooks: {
            hookSecret: (jti: string) => hookSecretFor(hookKey, jti),
            containerImages: options.containerImages ?? (async (names: readonly string[]) => new Map(names.map((name) => [name, IMAGE]))),
          },
        }),
  })
  const mint = async (hook: HookBinding) => {
    const { token, claims } = await mintToken({ containerNames: ['web'], action: 'restart', cleanup: false, expiresIn: 3600, hook }, signer, NOW)
    return { token, secret: await hookSecretFor(hookKey, claims.jti) }
  }
  const post = (path: string, init: { headers?: Record<string, string>; body?: BodyInit } = {}) =>
    app.request(path, { method: 'POST', headers: init.headers ?? {}, body: init.body ?? null, duplex: 'half' } as RequestInit)
  return { app, mint, post, lines, started }
}

const pushBody = (ref = 'refs/heads/main') => JSON.stringify({ ref, after: 'a'.repeat(40), repository: { full_name: 'acme/web' } })
const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`

function githubPush(secret: string, delivery: string, body = pushBody()) {
  return { headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': delivery, 'x-hub-signature-256': sign(secret, body) }, body }
}

function registryEnvelope(tag = 'v1', id = 'event-1') {
  return JSON.stringify({
    events: [{ id, action: 'push', target: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: `sha256:${'b'.repeat(64)}`, repository: 'acme/web', tag }, request: { host: 'reg.example:5000' } }],
  })
}

describe('POST /v1/hooks/:provider', () => {
  it('answers 404 for a provider that does not exist, before asking for a token', async () => {
    const { post, app, lines } = await setup()
    const response = await post('/v1/hooks/bitbucket')
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ error: 'unknown_provider', message: expect.stringContaining('github, gitlab, gitea') })
    expect((await app.request('/v1/hooks/github')).status).toBe(404)
    expect(lines.filter((line) => line.includes('rejected'))).toEqual([])
  })

  it('202 with the deployment, its status_url and Location; the trigger names provider, event, ref and delivery', async () => {
    const { mint, post, started } = await setup()
    const { token, secret } = await mint({ provider: 'github', ref: 'refs/heads/main' })
    const response = await post(`/v1/hooks/github?token=${token}`, githubPush(secret, 'delivery-1'))
    expect(response.status).toBe(202)
    const body = await response.json()
    expect(body).toEqual({ deployment: 'dep-1', containers: ['web'], status_url: `${PUBLIC_URL}/v1/deployments/dep-1` })
    expect(response.headers.get('location')).toBe(`${PUBLIC_URL}/v1/deployments/dep-1`)
    expect(response.headers.get('x-deployment-id')).toBe('dep-1')
    expect(started).toEqual([
      {
        containerNames: ['web'],
        action: 'restart',
        cleanup: false,
        jti: expect.any(String),
        trigger: { source: 'webhook', provider: 'github', event: 'push', ref: 'refs/heads/main', repository: 'acme/web', delivery: 'delivery-1' },
      },
    ])
  })

  it('remembers delivery ids across requests: a redelivery is acknowledged and not deployed again', async () => {
    const { mint, post, started } = await setup()
    const { token, secret } = await mint({ provider: 'github', ref: 'refs/heads/main' })
    expect((await post(`/v1/hooks/github?token=${token}`, githubPush(secret, 'same'))).status).toBe(202)
    const again = await post(`/v1/hooks/github?token=${token}`, githubPush(secret, 'same'))
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual({ ignored: expect.stringContaining('already received') })
    expect(started).toHaveLength(1)
  })

  it('reads the token where each provider puts it, and nowhere it should not travel', async () => {
    const { mint, post } = await setup()
    const envelope = registryEnvelope()
    const distribution = (await mint({ provider: 'distribution' })).token
    const harbor = (await mint({ provider: 'harbor' })).token
    const gitlab = (await mint({ provider: 'gitlab', ref: 'refs/heads/main' })).token
    const harborPush = JSON.stringify({ type: 'PUSH_ARTIFACT', occur_at: 1, event_data: { resources: [{ tag: 'v1', digest: 'sha256:1', resource_url: 'reg.example:5000/acme/web:v1' }] } })
    const gitlabPush = JSON.stringify({ object_kind: 'push', ref: 'refs/heads/main', after: 'c'.repeat(40) })

    // Registry notifications and Harbor send the header as typed: with or without "Bearer".
    expect((await post('/v1/hooks/distribution', { headers: { authorization: `Bearer ${distribution}` }, body: envelope })).status).toBe(202)
    expect((await post('/v1/hooks/distribution', { headers: { authorization: distribution }, body: registryEnvelope('v1', 'event-2') })).status).toBe(202)
    expect((await post('/v1/hooks/harbor', { headers: { authorization: harbor }, body: harborPush })).status).toBe(202)
    expect((await post('/v1/hooks/gitlab', { headers: { 'x-gitlab-token': gitlab }, body: gitlabPush })).status).toBe(202)

    // These senders can set a header, so a token in the URL (which lands in logs) is not read.
    for (const [provider, token] of [['distribution', distribution], ['harbor', harbor], ['gitlab', gitlab]] as const) {
      const response = await post(`/v1/hooks/${provider}?token=${token}`, { body: envelope })
      expect(response.status, provider).toBe(401)
      expect(await response.json()).toMatchObject({ error: 'missing' })
    }
  })

  it('403 for a token bound to another provider', async () => {
    const { mint, post } = await setup()
    const { token } = await mint({ provider: 'gitlab', ref: 'refs/heads/main' })
    const response = await post('/v1/hooks/distribution', { headers: { authorization: `Bearer ${token}` }, body: registryEnvelope() })
    expect(response.status).toBe(403)
    expect(await response.json()).toMatchObject({ error: 'wrong_endpoint' })
  })

  it('413 over the webhook body limit, judged after the token', async () => {
    const { mint, post } = await setup()
    const { token } = await mint({ provider: 'distribution' })
    const headers = { authorization: `Bearer ${token}`, 'content-length': String(WEBHOOK_BODY_LIMIT_BYTES + 1) }
    const tooLarge = await post('/v1/hooks/distribution', { headers, body: new Uint8Array(WEBHOOK_BODY_LIMIT_BYTES + 1) })
    expect(tooLarge.status).toBe(413)
    expect(await tooLarge.json()).toMatchObject({ error: 'payload_too_large' })
    const anonymous = await post('/v1/hooks/distribution', { headers: { 'content-length': String(WEBHOOK_BODY_LIMIT_BYTES + 1) }, body: new Uint8Array(WEBHOOK_BODY_LIMIT_BYTES + 1) })
    expect(anonymous.status).toBe(401)
  })

  it('400 for a body that is not JSON', async () => {
    const { mint, post } = await setup()
    const { token } = await mint({ provider: 'distribution' })
    const response = await post('/v1/hooks/distribution', { headers: { authorization: `Bearer ${token}` }, body: '{"events": [' })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: 'malformed_delivery' })
  })

  it('501 after authentication where nothing can deploy', async () => {
    const { mint, post } = await setup({ noHooks: true })
    const { token } = await mint({ provider: 'distribution' })
    const response = await post('/v1/hooks/distribution', { headers: { authorization: `Bearer ${token}` }, body: registryEnvelope() })
    expect(response.status).toBe(501)
    expect((await post('/v1/hooks/distribution', { body: registryEnvelope() })).status).toBe(401)
  })

  it('503 when the images of the containers cannot be read, and the delivery may come again', async () => {
    let engineUp = false
    const { mint, post, started } = await setup({
      containerImages: async (names) => {
        if (!engineUp) throw new Error('connect ENOENT /var/run/docker.sock')
        return new Map(names.map((name) => [name, IMAGE]))
      },
    })
    const { token } = await mint({ provider: 'distribution' })
    const deliver = () => post('/v1/hooks/distribution', { headers: { authorization: `Bearer ${token}` }, body: registryEnvelope() })
    const down = await deliver()
    expect(down.status).toBe(503)
    expect(await down.json()).toMatchObject({ error: 'unavailable' })
    engineUp = true
    expect((await deliver()).status).toBe(202)
    expect(started).toHaveLength(1)
  })

  it('never writes a token or a URL with one into the log, whatever goes wrong', async () => {
    const { mint, post, lines } = await setup({ limit: 3, start: async () => Promise.reject(new Error('boom')) })
    const { token, secret } = await mint({ provider: 'github', ref: 'refs/heads/main' })
    const broken = await post(`/v1/hooks/github?token=${token}`, githubPush(secret, 'delivery-x'))
    expect(broken.status).toBe(500)
    expect(await broken.json()).toEqual({ error: 'internal', message: 'internal error' })
    for (let i = 0; i < 3; i++) expect((await post(`/v1/hooks/github?token=${token}x`, githubPush(secret, `d${i}`))).status).toBe(401)
    // Failures on a hook count against the client like any other failed authentication.
    expect((await post(`/v1/hooks/github?token=${token}`, githubPush(secret, 'd9'))).status).toBe(429)

    expect(lines.some((line) => line.includes('unhandled error') && line.includes('/v1/hooks/github'))).toBe(true)
    expect(lines.filter((line) => line.includes('deploy token rejected'))).toHaveLength(3)
    const [, , payload] = token.split('.') as [string, string, string]
    for (const line of lines) {
      expect(line).not.toContain(payload.slice(0, 24))
      expect(line).not.toContain('token=')
      expect(line).not.toContain(secret)
    }
  })
})
