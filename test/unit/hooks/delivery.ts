/**
 * Helpers for the webhook tests: build deliveries, sign them independently of the code under test
 * (node:crypto, not src/hooks/signatures.ts), and run them through the same steps the route takes —
 * find the provider, find and verify a real deploy token, then `receiveHook` — with a recording deployer.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DeployRequest, StartResult } from '../../../src/deploy.ts'
import { createDeliveryLog, findHookProvider, receiveHook, type HookRequest } from '../../../src/hooks/index.ts'
import type { HookBinding } from '../../../src/tokens/claims.ts'
import { hookSecretFor } from '../../../src/tokens/hook-secret.ts'
import { generateSecretPaserk, importSigningKey, importVerificationKey } from '../../../src/tokens/keys.ts'
import { mintToken } from '../../../src/tokens/mint.ts'
import { createTokenVerifier, staticKeyRing } from '../../../src/tokens/verify.ts'

export const NOW = new Date('2026-03-01T12:00:00Z')
const DAY = 86_400

const FIXTURES = fileURLToPath(new URL('../../fixtures/hooks/', import.meta.url))

/** A delivery written for these tests (test/fixtures/hooks/<provider>/<name>). */
export async function fixture(provider: string, name: string): Promise<string> {
  return await readFile(join(FIXTURES, provider, name), 'utf8')
}

/**
 * Real GitHub deliveries, kept in the shared folder beside the clone (`../shared` in CI). Missing
 * fixtures fail the tests that need them instead of skipping them.
 */
export async function sharedGithubFixture(name: string): Promise<string> {
  const candidates = [
    fileURLToPath(new URL('../../../../shared/fixtures/webhooks/github/', import.meta.url)),
    join(process.cwd(), '..', 'shared', 'fixtures', 'webhooks', 'github'),
  ]
  const dir = candidates.find((candidate) => existsSync(candidate))
  if (!dir) throw new Error(`the shared GitHub fixtures are missing; looked in ${candidates.join(' and ')}`)
  return await readFile(join(dir, name), 'utf8')
}

export interface DeliveryInit {
  body?: string | Uint8Array
  headers?: Record<string, string>
  query?: Record<string, string>
  receivedAt?: Date
}

export function hookRequest(provider: string, { body = '', headers = {}, query = {}, receivedAt = NOW }: DeliveryInit = {}): HookRequest {
  const url = new URL(`https://deploy.example/v1/hooks/${provider}`)
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
  return { url, headers: new Headers(headers), body: typeof body === 'string' ? new TextEncoder().encode(body) : body, receivedAt }
}

/** `sha256=<hex>` as GitHub computes it. */
export function hubSignature(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/** Bare hex, as Gitea/Forgejo compute it. */
export function hexSignature(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex')
}

export interface Scenario {
  /** The token, to put wherever the provider carries it. */
  token: string
  /** The token's webhook secret (what the CLI prints). */
  secret: string
  jti: string
  /** Every deploy started so far. */
  started: DeployRequest[]
  /** Runs a delivery through the route's steps; answers with status and JSON body. */
  deliver(provider: string, req: HookRequest): Promise<{ status: number; body: Record<string, unknown> }>
}

export interface ScenarioOptions {
  containers?: string[]
  hook?: HookBinding
  /** Container name → `Config.Image`; a container missing here does not exist. */
  images?: Record<string, string>
}

/** A fresh signing key, hook key, token, delivery log and recording deployer. */
export async function scenario({ containers = ['web'], hook, images = {} }: ScenarioOptions = {}): Promise<Scenario> {
  const signer = await importSigningKey(await generateSecretPaserk())
  const tokens = createTokenVerifier({
    keys: staticKeyRing([await importVerificationKey(signer.publicKey)]),
    revocations: { isRevoked: () => false },
    now: () => NOW,
  })
  const hookKey = new Uint8Array(randomBytes(32))
  const { token, claims } = await mintToken({ containerNames: containers, action: 'pull-recreate', cleanup: true, expiresIn: DAY, hook }, signer, NOW)
  const started: DeployRequest[] = []
  const deliveries = createDeliveryLog({ now: () => NOW.getTime() })
  const deps = {
    hookSecret: (jti: string) => hookSecretFor(hookKey, jti),
    containerImages: async (names: readonly string[]) => new Map(names.flatMap((name) => (images[name] ? [[name, images[name]] as const] : []))),
    deliveries,
    deployer: {
      async start(request: DeployRequest): Promise<StartResult> {
        const missing = request.containerNames.filter((name) => !(name in images))
        if (missing.length) return { ok: false, reason: 'not-found', message: `no such container: ${missing.join(', ')}`, missing }
        started.push(request)
        const id = `dep-${started.length}`
        return { ok: true, deployment: { id, events: async function* () {}, done: new Promise(() => {}) } }
      },
    },
  }

  return {
    token,
    secret: await hookSecretFor(hookKey, claims.jti),
    jti: claims.jti,
    started,
    async deliver(name, req) {
      const provider = findHookProvider(name)
      if (!provider) return { status: 404, body: { error: 'not_found' } }
      const verified = await tokens.verify(provider.tokenFrom(req), provider.name)
      if (!verified.ok) return { status: verified.reason === 'wrong_endpoint' ? 403 : 401, body: { error: verified.reason } }
      const answer = await receiveHook(provider, req, verified.claims, deps)
      return { status: answer.status, body: answer.body }
    },
  }
}
