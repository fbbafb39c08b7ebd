/*
 * Deploy-token verification: one typed result with one reason, cheapest checks first. Everything a
 * request can get wrong without knowing a key (missing, too long, wrong version, malformed, unknown
 * key id) is rejected before any cryptography, so a flood of junk costs little.
 */
import { ClaimValidationError, InvalidTokenError, PublicProtocol } from 'paseto'
import { VerifyFactory } from 'paseto/v4/public'
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
const HEADER = /^(v\d+)\.(local|public)\./

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

/** Where a token is presented: the plain deploy endpoint or one provider's webhook endpoint. */
export type TokenEndpoint = 'deploy' | HookProvider

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
      const footer = parts[3]
      if (footer !== undefined) {
        const kid = footerKeyId(footer)
        if (!kid) return reject('malformed', 'the token footer is not {"kid": "k4.pid.…"}')
        const key = keys.find(kid)
        if (!key) return reject('unknown_key', `the token was signed with key ${kid}, which this instance does not accept (unknown or retired)`)
        candidates = [key]
      } else {
        candidates = keys.verifying()
      }

      const at = now()
      for (const key of candidates) {
        let raw: Record<string, unknown>
        try {
          raw = (await v4.Verify(key.key, token, { now: at, allowNonExpiring: true, clockTolerance: CLOCK_TOLERANCE_SECONDS })).claims
        } catch (error) {
          // A claim error comes after a good signature: this is the key, and the token is out of date.
          if (error instanceof ClaimValidationError) return temporalRejection(error, payload, at)
          if (error instanceof InvalidTokenError) continue
          throw error
        }
        return await accept(raw, key.kid, token, footer === undefined, endpoint)
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
    if (hook && hook.provider !== endpoint) {
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

function footerKeyId(footer: string): KeyId | undefined {
  const bytes = fromBase64Url(footer)
  if (!bytes) return undefined
  try {
    const parsed = FooterSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)))
    return parsed.success ? (parsed.data.kid as KeyId) : undefined
  } catch {
    return undefined
  }
}

/**
 * paseto reports expiry, not-before and issued-in-the-future as claim errors, as it does a date that
 * is not RFC 3339. The signature has been checked by now, so reading the claims to tell them apart is safe.
 */
function temporalRejection(error: ClaimValidationError, payload: Uint8Array, at: Date): VerifyResult {
  const claims = JSON.parse(new TextDecoder().decode(payload.subarray(0, -ED25519_SIGNATURE_BYTES))) as Record<string, unknown>
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
