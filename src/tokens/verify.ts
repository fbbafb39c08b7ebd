/*
 * Deploy-token verification: one typed result with one reason, cheapest checks first. Everything a
 * request can get wrong without knowing a key (missing, too long, wrong version, malformed, unknown
 * key id) is rejected before any cryptography, so a flood of junk costs little.
 */
import { ClaimValidationError, InvalidTokenError, PAE, PublicProtocol } from 'paseto'
import { PublicKeyToCryptoKey, VerifyFactory } from 'paseto/v4/public'
import { z } from 'zod'
import { describeClaimIssues, DeployClaimsSchema, type DeployClaims, type HookProvider } from './claims.ts'
import { fromBase64Url, toHex } from './encoding.ts'
import { isKeyId, type KeyId, type VerificationKey } from './keys.ts'

const v4 = new PublicProtocol(VerifyFactory)

/** Longer than any token we mint (100 container names and a hook fit in ~6 KB); longer is junk. */
export const MAX_TOKEN_LENGTH = 8192
/** Skew allowed between the minting host's clock and the verifier's (edge vs. agent). */
export const CLOCK_TOLERANCE_SECONDS = 60
const ED25519_SIGNATURE_BYTES = 64
const FOOTER_CACHE_SIZE = 64
const HEADER = /^(v\d+)\.(local|public)\./
const V4_PUBLIC = new TextEncoder().encode('v4.public.')
const NOTHING = new Uint8Array(0)

/** Why a token was refused; stable codes that clients and tests switch on. */
export type TokenRejection =
  | 'missing'
  | 'too_long'
  | 'malformed'
  | 'wrong_version'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'revoked'
  | 'invalid_claims'
  | 'wrong_endpoint'

export type VerifyResult =
  | { ok: true; claims: DeployClaims; kid: KeyId }
  | { ok: false; reason: TokenRejection; message: string }

/**
 * Where a token is presented: the plain deploy endpoint, one provider's webhook endpoint, or
 * `status` (reading back a deployment, which any token may do for the deployments it started).
 */
export type TokenEndpoint = 'deploy' | 'status' | HookProvider

/** The keys that still verify tokens. Implementations keep them imported; lookups are synchronous. */
export interface KeyRingView {
  /** The key with this id, when it still verifies. */
  find(kid: KeyId): VerificationKey | undefined
  /** Every key that still verifies: a token without a footer (docker-deploy-api's) is tried against each. */
  verifying(): readonly VerificationKey[]
}

/** Revoked tokens, by `jti` or by the sha512 hex digest of the whole token (docker-deploy-api). */
export interface RevocationsView {
  isRevoked(jti: string, token: string): boolean | Promise<boolean>
}

export interface TokenVerifier {
  /**
   * Verifies a token presented at `endpoint`.
   *
   * @example
   * const result = await verifier.verify(c.req.header('x-deploy-token'), 'deploy')
   * if (!result.ok) return c.json({ error: result.reason, message: result.message }, 401)
   */
  verify(token: string | undefined, endpoint: TokenEndpoint): Promise<VerifyResult>
}

export interface TokenVerifierOptions {
  keys: KeyRingView
  revocations: RevocationsView
  now?: () => Date
}

const FooterSchema = z.object({ kid: z.string().refine(isKeyId) })

/** Builds the verifier the app is given; the agent backs it with its data directory, the edge with its secrets. */
export function createTokenVerifier({ keys, revocations, now = () => new Date() }: TokenVerifierOptions): TokenVerifier {
  // Every token of one key has the same footer: remembering a few answers spares a stream of
  // requests decoding and parsing it each time. Cleared when full, so junk footers cannot grow it.
  const footers = new Map<string, Footer | undefined>()
  const readFooter = (text: string): Footer | undefined => {
    if (footers.has(text)) return footers.get(text)
    const footer = parseFooter(text)
    if (footers.size >= FOOTER_CACHE_SIZE) footers.clear()
    footers.set(text, footer)
    return footer
  }

  return {
    async verify(token, endpoint) {
      if (!token) return reject('missing', 'no deploy token: send it in the X-Deploy-Token header or as Authorization: Bearer <token>')
      if (token.length > MAX_TOKEN_LENGTH) return reject('too_long', `the deploy token is longer than ${MAX_TOKEN_LENGTH} characters`)
      const header = HEADER.exec(token)
      if (header && (header[1] !== 'v4' || header[2] !== 'public')) {
        return reject('wrong_version', `expected a v4.public token, got a ${header[1]}.${header[2]} token`)
      }
      const parts = token.split('.')
      const payload = header && (parts.length === 3 || parts.length === 4) ? fromBase64Url(parts[2]!) : undefined
      if (!payload) return reject('malformed', 'the deploy token is not a well-formed v4.public PASETO')
      if (payload.length <= ED25519_SIGNATURE_BYTES) return reject('malformed', 'the deploy token is truncated')

      let candidates: readonly VerificationKey[]
      let footerBytes = NOTHING
      if (parts[3] !== undefined) {
        const footer = readFooter(parts[3])
        if (!footer) return reject('malformed', 'the token footer is not {"kid": "k4.pid.…"}')
        const key = keys.find(footer.kid)
        if (!key) return reject('unknown_key', `the token was signed with key ${footer.kid}, which this instance does not accept (unknown or retired)`)
        candidates = [key]
        footerBytes = footer.bytes
      } else {
        candidates = keys.verifying()
      }

      // The signature first, computed as paseto computes it (PAE, then Ed25519 over Web Crypto): a
      // forged token costs one verify and no exceptions. A token that passes is verified again by
      // paseto, which stays the authority on framing and claims; only valid tokens pay twice.
      const message = payload.subarray(0, -ED25519_SIGNATURE_BYTES)
      const signature = payload.subarray(-ED25519_SIGNATURE_BYTES)
      const signed = new Uint8Array(PAE([V4_PUBLIC, message, footerBytes, NOTHING]))
      for (const key of candidates) {
        if (!(await crypto.subtle.verify('Ed25519', PublicKeyToCryptoKey(key.key), signature, signed))) continue
        const at = now()
        let raw: Record<string, unknown>
        try {
          raw = (await v4.Verify(key.key, token, { now: at, allowNonExpiring: true, clockTolerance: CLOCK_TOLERANCE_SECONDS })).claims
        } catch (error) {
          // The signature is good, so this is about the content: out of date, or not a claims object.
          if (error instanceof ClaimValidationError) return temporalRejection(error, message, at)
          if (error instanceof InvalidTokenError) return reject('malformed', `the deploy token is signed but not a valid PASETO: ${error.message}`)
          throw error
        }
        return await accept(raw, key.kid, token, parts[3] === undefined, endpoint)
      }
      return reject('bad_signature', 'the deploy token signature does not verify')
    },
  }

  async function accept(raw: Record<string, unknown>, kid: KeyId, token: string, legacy: boolean, endpoint: TokenEndpoint): Promise<VerifyResult> {
    // docker-deploy-api tokens carry no jti; their revocation entry is the token's sha512 digest, so
    // that digest is their id: revoking it by "jti" writes an entry docker-deploy-api understands too.
    const claims = legacy && raw['jti'] === undefined ? { ...raw, jti: await sha512Hex(token) } : raw
    const parsed = DeployClaimsSchema.safeParse(claims)
    if (!parsed.success) return reject('invalid_claims', `the token's claims are invalid: ${describeClaimIssues(parsed.error)}`)
    if (await revocations.isRevoked(parsed.data.jti, token)) return reject('revoked', 'the deploy token has been revoked')
    const hook = parsed.data.hook
    if (hook && endpoint !== 'status' && hook.provider !== endpoint) {
      return reject('wrong_endpoint', `this token is bound to the ${hook.provider} webhook (POST /v1/hooks/${hook.provider}) and is not accepted here`)
    }
    return { ok: true, claims: parsed.data, kid }
  }
}

/** A fixed set of verification keys (the edge's, or a test's). */
export function staticKeyRing(keys: readonly VerificationKey[]): KeyRingView {
  const byId = new Map(keys.map((key) => [key.kid, key]))
  return { find: (kid) => byId.get(kid), verifying: () => keys }
}

function reject(reason: TokenRejection, message: string): VerifyResult {
  return { ok: false, reason, message }
}

interface Footer {
  kid: KeyId
  bytes: Uint8Array<ArrayBuffer>
}

function parseFooter(text: string): Footer | undefined {
  const bytes = fromBase64Url(text)
  if (!bytes) return undefined
  try {
    const parsed = FooterSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)))
    return parsed.success ? { kid: parsed.data.kid as KeyId, bytes } : undefined
  } catch {
    return undefined
  }
}

/**
 * paseto reports expiry, not-before and issued-in-the-future as claim errors, as it does a date that
 * is not RFC 3339. The signature has been checked by now, so reading the claims to tell them apart is safe.
 */
function temporalRejection(error: ClaimValidationError, message: Uint8Array, at: Date): VerifyResult {
  const claims = JSON.parse(new TextDecoder().decode(message)) as Record<string, unknown>
  const value = error.claim === undefined ? undefined : claims[error.claim]
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (error.claim === 'exp' && time < at.getTime()) return reject('expired', `the deploy token expired at ${value as string}`)
  if ((error.claim === 'nbf' || error.claim === 'iat') && time > at.getTime()) {
    return reject('not_yet_valid', `the deploy token is not valid before ${value as string}`)
  }
  return reject('invalid_claims', `the token's claims are invalid: ${error.claim ?? 'claims'}: ${error.message}`)
}

async function sha512Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-512', new TextEncoder().encode(text))))
}
