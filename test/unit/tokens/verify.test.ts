import { createHash } from 'node:crypto'
import { LocalProtocol, PAE, PublicProtocol } from 'paseto'
import { DecryptFactory, EncryptFactory, GenerateKeyFactory } from 'paseto/v3/local'
import { SignFactory as SignV2, GenerateKeyPairFactory as GenerateV2 } from 'paseto/v2/public'
import { SecretKeyToCryptoKey, SignFactory } from 'paseto/v4/public'
import { beforeAll, describe, expect, it } from 'vitest'
import { DEPLOY_ACTIONS, HOOK_PROVIDERS, type DeployAction, type HookBinding } from '../../../src/tokens/claims.ts'
import { generateSecretPaserk, importSigningKey, importVerificationKey, legacyKeyToPaserk, type SigningKey, type VerificationKey } from '../../../src/tokens/keys.ts'
import { MintError, mintToken } from '../../../src/tokens/mint.ts'
import { createTokenVerifier, MAX_TOKEN_LENGTH, staticKeyRing, type TokenVerifier } from '../../../src/tokens/verify.ts'
import { legacyKey, legacyToken } from '../../support/legacy-token.ts'

const NOW = new Date('2026-03-01T12:00:00Z')
const HOUR = 3600
const DAY = 86_400

let signer: SigningKey
let other: SigningKey
let verifying: VerificationKey

async function newSigner(): Promise<SigningKey> {
  return await importSigningKey(await generateSecretPaserk())
}

beforeAll(async () => {
  signer = await newSigner()
  other = await newSigner()
  verifying = await importVerificationKey(signer.publicKey)
})

function verifierWith(options: { keys?: VerificationKey[]; revoked?: { jtis?: string[]; digests?: string[] }; now?: Date } = {}): TokenVerifier {
  const jtis = new Set(options.revoked?.jtis)
  const digests = new Set(options.revoked?.digests)
  return createTokenVerifier({
    keys: staticKeyRing(options.keys ?? [verifying]),
    revocations: { isRevoked: (jti, token) => jtis.has(jti) || digests.has(createHash('sha512').update(token).digest('hex')) },
    now: () => options.now ?? NOW,
  })
}

async function mint(overrides: Partial<Parameters<typeof mintToken>[0]> = {}, by: SigningKey = signer, at: Date = NOW) {
  return await mintToken({ containerNames: ['web'], action: 'pull-recreate', cleanup: true, expiresIn: DAY, ...overrides }, by, at)
}

/** Replaces one base64url character of a token segment with another valid one. */
function flip(segment: string, index: number): string {
  const c = segment[index]!
  return segment.slice(0, index) + (c === 'A' ? 'B' : 'A') + segment.slice(index + 1)
}

/** Signs any message as a v4.public token with `signer`'s key, bypassing paseto's checks on what it signs. */
async function signByHand(message: string): Promise<string> {
  const footer = Buffer.from(JSON.stringify({ kid: signer.kid }))
  const body = Buffer.from(message)
  const signed = new Uint8Array(PAE([Buffer.from('v4.public.'), body, footer, new Uint8Array()]))
  const signature = Buffer.from(await crypto.subtle.sign('Ed25519', SecretKeyToCryptoKey(signer.key), signed))
  return `v4.public.${Buffer.concat([body, signature]).toString('base64url')}.${footer.toString('base64url')}`
}

function b64u(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

describe('mint → verify round trip', () => {
  const hooks: (HookBinding | undefined)[] = [
    undefined,
    ...HOOK_PROVIDERS.map((provider) => ({ provider })),
    { provider: 'github', ref: 'refs/heads/main', event: 'workflow_run' },
    { provider: 'harbor', tag: 'v*' },
  ]
  const cases = DEPLOY_ACTIONS.flatMap((action) =>
    [true, false].flatMap((cleanup) => [HOUR, 'never' as const].flatMap((expiresIn) => hooks.map((hook) => ({ action, cleanup, expiresIn, hook })))),
  )

  it(`returns exactly the minted claims for all ${cases.length} combinations of action, cleanup, expiry and hook binding`, async () => {
    const verifier = verifierWith()
    for (const { action, cleanup, expiresIn, hook } of cases) {
      const { token, claims } = await mint({ containerNames: ['web', 'api_1', 'db.primary'], action, cleanup, expiresIn, hook })
      const result = await verifier.verify(token, hook?.provider ?? 'deploy')
      expect(result, JSON.stringify({ action, cleanup, expiresIn, hook })).toEqual({ ok: true, claims, kid: signer.kid })
      expect(claims.exp).toBe(expiresIn === 'never' ? undefined : '2026-03-01T13:00:00Z')
      expect(claims.iat).toBe('2026-03-01T12:00:00Z')
      expect(claims.hook).toEqual(hook)
    }
  })

  it('puts {"kid": <k4.pid>} in the footer and a fresh 128-bit jti in every token', async () => {
    const a = await mint()
    const b = await mint()
    expect(JSON.parse(Buffer.from(a.token.split('.')[3]!, 'base64url').toString())).toEqual({ kid: signer.kid })
    expect(a.claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(Buffer.from(a.claims.jti, 'base64url')).toHaveLength(16)
    expect(a.claims.jti).not.toBe(b.claims.jti)
  })

  it('leaves exp out only for expiresIn: never, and never verifies such a token as expired', async () => {
    const { token, claims } = await mint({ expiresIn: 'never' })
    expect(claims).not.toHaveProperty('exp')
    const later = verifierWith({ now: new Date('2126-01-01T00:00:00Z') })
    expect((await later.verify(token, 'deploy')).ok).toBe(true)
  })

  it('refuses to mint what it would refuse to verify', async () => {
    await expect(mint({ containerNames: [] })).rejects.toThrow(MintError)
    await expect(mint({ containerNames: ['/web'] })).rejects.toThrow(/container name/)
    await expect(mint({ expiresIn: 0 })).rejects.toThrow(MintError)
    await expect(mint({ expiresIn: 1.5 })).rejects.toThrow(MintError)
    await expect(mint({ action: 'explode' as DeployAction })).rejects.toThrow(/action/)
  })
})

describe('verify rejects, with one precise reason', () => {
  it('missing: no token at all, or an empty one', async () => {
    const verifier = verifierWith()
    for (const token of [undefined, '']) expect(await verifier.verify(token, 'deploy')).toMatchObject({ ok: false, reason: 'missing' })
  })

  it('too_long: checked before anything else', async () => {
    const { token } = await mint()
    const result = await verifierWith().verify(token + 'A'.repeat(MAX_TOKEN_LENGTH), 'deploy')
    expect(result).toMatchObject({ ok: false, reason: 'too_long' })
  })

  it('wrong_version: v1–v3 tokens and local tokens, real ones included', async () => {
    const v3local = new LocalProtocol(GenerateKeyFactory, EncryptFactory, DecryptFactory)
    const realV3Local = await v3local.Encrypt(await v3local.GenerateKey(), { sub: 'x' })
    const v2public = new PublicProtocol(GenerateV2, SignV2)
    const realV2Public = await v2public.Sign((await v2public.GenerateKeyPair()).secretKey, { sub: 'x' })
    const { token } = await mint()
    const verifier = verifierWith()
    for (const candidate of [realV3Local, realV2Public, token.replace('v4.public.', 'v4.local.'), token.replace('v4.', 'v3.'), token.replace('v4.', 'v1.')]) {
      const result = await verifier.verify(candidate, 'deploy')
      expect(result, candidate.slice(0, 10)).toMatchObject({ ok: false, reason: 'wrong_version' })
    }
  })

  it('malformed: garbage, bad base64, a truncated payload, a footer that is not {"kid"}', async () => {
    const { token } = await mint()
    const [, , payload, footer] = token.split('.') as [string, string, string, string]
    const verifier = verifierWith()
    const cases = {
      garbage: 'hello',
      'no payload': 'v4.public.',
      'bad base64': `v4.public.${payload.slice(0, 10)}!${payload.slice(11)}.${footer}`,
      'too many parts': `${token}.extra`,
      truncated: `v4.public.${payload.slice(0, 40)}.${footer}`,
      'empty footer': `v4.public.${payload}.`,
      'footer not JSON': `v4.public.${payload}.${b64u('kid')}`,
      'footer without kid': `v4.public.${payload}.${b64u({ key: signer.kid })}`,
      'kid not a k4.pid': `v4.public.${payload}.${b64u({ kid: 'k4.lid.xyz' })}`,
    }
    for (const [name, candidate] of Object.entries(cases)) {
      expect(await verifier.verify(candidate, 'deploy'), name).toMatchObject({ ok: false, reason: 'malformed' })
    }
  })

  it('unknown_key: a token from another key, or a footer naming a key this instance does not have', async () => {
    const { token } = await mint({}, other)
    expect(await verifierWith().verify(token, 'deploy')).toMatchObject({ ok: false, reason: 'unknown_key', message: expect.stringContaining(other.kid) })
  })

  it('bad_signature: a tampered payload, a footer swapped for another known key, a dropped footer', async () => {
    const { token } = await mint()
    const [, , payload, footer] = token.split('.') as [string, string, string, string]
    const otherVerifying = await importVerificationKey(other.publicKey)
    const verifier = verifierWith({ keys: [verifying, otherVerifying] })
    const cases = {
      'payload byte changed': `v4.public.${flip(payload, 20)}.${footer}`,
      'signature byte changed': `v4.public.${flip(payload, payload.length - 5)}.${footer}`,
      'footer swapped': `v4.public.${payload}.${b64u({ kid: other.kid })}`,
      'footer dropped': `v4.public.${payload}`,
    }
    for (const [name, candidate] of Object.entries(cases)) {
      expect(await verifier.verify(candidate, 'deploy'), name).toMatchObject({ ok: false, reason: 'bad_signature' })
    }
  })

  it('bad_signature: a token without footer signed by a key nobody here knows', async () => {
    const stranger = legacyKey()
    const token = legacyToken(stranger, { containerNames: ['web'], action: 0, cleanup: true })
    expect(await verifierWith().verify(token, 'deploy')).toMatchObject({ ok: false, reason: 'bad_signature' })
  })

  it('expired: judged by the injected clock, beyond the clock tolerance', async () => {
    const { token } = await mint({ expiresIn: HOUR })
    expect((await verifierWith({ now: new Date('2026-03-01T12:59:59Z') }).verify(token, 'deploy')).ok).toBe(true)
    const result = await verifierWith({ now: new Date('2026-03-01T13:05:00Z') }).verify(token, 'deploy')
    expect(result).toEqual({ ok: false, reason: 'expired', message: 'the deploy token expired at 2026-03-01T13:00:00Z' })
  })

  it('not_yet_valid: issued in the future (a clock far behind the minting host)', async () => {
    const { token } = await mint({}, signer, new Date('2026-03-02T00:00:00Z'))
    expect(await verifierWith().verify(token, 'deploy')).toMatchObject({ ok: false, reason: 'not_yet_valid' })
  })

  it('revoked: by jti', async () => {
    const { token, claims } = await mint()
    expect(await verifierWith({ revoked: { jtis: [claims.jti] } }).verify(token, 'deploy')).toMatchObject({ ok: false, reason: 'revoked' })
  })

  it('revoked: by the sha512 digest of the whole token', async () => {
    const { token } = await mint()
    const digest = createHash('sha512').update(token).digest('hex')
    expect(await verifierWith({ revoked: { digests: [digest] } }).verify(token, 'deploy')).toMatchObject({ ok: false, reason: 'revoked' })
  })

  it('invalid_claims: a well-signed token whose claims are not a deploy token', async () => {
    const sign = new PublicProtocol(SignFactory)
    const footer = new TextEncoder().encode(JSON.stringify({ kid: signer.kid }))
    const verifier = verifierWith()
    const base = { containerNames: ['web'], action: 'restart', cleanup: false, jti: 'abcdefghijklmnopqrstuv' }
    const cases: Record<string, object> = {
      'unknown action': { ...base, action: 'explode' },
      'action 3': { ...base, action: 3 },
      'no containers': { ...base, containerNames: [] },
      'leading slash': { ...base, containerNames: ['/web'] },
      'cleanup as string': { ...base, cleanup: 'yes' },
      'no jti': { containerNames: ['web'], action: 'restart', cleanup: false },
      'unknown hook provider': { ...base, hook: { provider: 'bitbucket' } },
    }
    for (const [name, claims] of Object.entries(cases)) {
      const token = await sign.Sign(signer.key, claims, { footer, now: NOW, expiresIn: HOUR })
      const result = await verifier.verify(token, 'deploy')
      expect(result, name).toMatchObject({ ok: false, reason: 'invalid_claims' })
    }
  })

  it('invalid_claims: an exp that is not a date is not reported as expired', async () => {
    // paseto refuses to sign a malformed exp, so sign the PAE by hand with the same key.
    const claims = { containerNames: ['web'], action: 'restart', cleanup: false, jti: 'abcdefghijklmnopqrstuv', iat: '2026-03-01T12:00:00Z', exp: 'tomorrow' }
    const token = await signByHand(JSON.stringify(claims))
    expect(await verifierWith().verify(token, 'deploy')).toMatchObject({ ok: false, reason: 'invalid_claims', message: expect.stringContaining('exp') })
  })

  it('malformed: well signed, but the payload is not a JSON claims object', async () => {
    for (const message of ['not json', '[1, 2]']) {
      expect(await verifierWith().verify(await signByHand(message), 'deploy'), message).toMatchObject({ ok: false, reason: 'malformed' })
    }
  })

  it('wrong_endpoint: a webhook-bound token on /v1/deploy or on another provider', async () => {
    const { token } = await mint({ hook: { provider: 'github', ref: 'refs/heads/main' } })
    const verifier = verifierWith()
    expect(await verifier.verify(token, 'deploy')).toMatchObject({ ok: false, reason: 'wrong_endpoint', message: expect.stringContaining('github') })
    expect(await verifier.verify(token, 'gitlab')).toMatchObject({ ok: false, reason: 'wrong_endpoint' })
    expect((await verifier.verify(token, 'github')).ok).toBe(true)
  })

  it('status: any token, bound to a webhook or not, may read back the deployments it started', async () => {
    const verifier = verifierWith()
    for (const hook of [undefined, { provider: 'github' as const, ref: 'refs/heads/main' }, { provider: 'distribution' as const }]) {
      const { token } = await mint(hook ? { hook } : {})
      expect((await verifier.verify(token, 'status')).ok, hook?.provider ?? 'unbound').toBe(true)
    }
  })

  it('never echoes the token in a rejection message', async () => {
    const { token } = await mint()
    const [, , payload, footer] = token.split('.') as [string, string, string, string]
    const verifier = verifierWith({ now: new Date('2027-01-01T00:00:00Z') })
    const candidates = [token, `v4.public.${flip(payload, 20)}.${footer}`, `v4.public.${payload.slice(0, 40)}`, token.replace('v4.public', 'v4.local')]
    for (const candidate of candidates) {
      const result = await verifier.verify(candidate, 'deploy')
      expect(result.ok).toBe(false)
      if (!result.ok) {
        expect(result.message).not.toContain(payload.slice(0, 16))
        expect(result.message).not.toContain(footer)
      }
    }
  })
})

describe("docker-deploy-api's tokens", () => {
  it('verify with the imported key.pem: numeric action, no footer, no jti (the token digest stands in)', async () => {
    const key = legacyKey()
    const converted = legacyKeyToPaserk(key.pem)
    if (!converted.ok) throw new Error(converted.message)
    const legacy = await importVerificationKey((await importSigningKey(converted.secret)).publicKey)
    const verifier = verifierWith({ keys: [verifying, legacy] })
    for (const [action, name] of [[0, 'pull-recreate'], [1, 'recreate'], [2, 'restart']] as const) {
      const token = legacyToken(key, { containerNames: ['web', 'worker'], action, cleanup: action === 0 }, { now: NOW })
      const result = await verifier.verify(token, 'deploy')
      expect(result).toMatchObject({ ok: true, kid: legacy.kid, claims: { containerNames: ['web', 'worker'], action: name, cleanup: action === 0 } })
      if (result.ok) expect(result.claims.jti).toBe(createHash('sha512').update(token).digest('hex'))
    }
  })

  it('are refused once their sha512 digest is revoked', async () => {
    const key = legacyKey()
    const converted = legacyKeyToPaserk(key.pem)
    if (!converted.ok) throw new Error(converted.message)
    const legacy = await importVerificationKey((await importSigningKey(converted.secret)).publicKey)
    const token = legacyToken(key, { containerNames: ['web'], action: 0, cleanup: true }, { now: NOW })
    const digest = createHash('sha512').update(token).digest('hex')
    expect(await verifierWith({ keys: [legacy], revoked: { jtis: [digest] } }).verify(token, 'deploy')).toMatchObject({ ok: false, reason: 'revoked' })
  })
})
