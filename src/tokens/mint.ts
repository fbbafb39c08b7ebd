import { PublicProtocol } from 'paseto'
import { SignFactory } from 'paseto/v4/public'
import { describeClaimIssues, DeployClaimsSchema, type DeployAction, type DeployClaims, type HookBinding } from './claims.ts'
import { MAX_LIFETIME_SECONDS } from './duration.ts'
import { toBase64Url } from './encoding.ts'
import type { SigningKey } from './keys.ts'

const v4 = new PublicProtocol(SignFactory)
const encoder = new TextEncoder()

/** 128 bits: enough that ids never collide and cannot be guessed (they also seed webhook secrets). */
const JTI_BYTES = 16

/** What the CLI asks for when it mints a token. */
export interface MintRequest {
  containerNames: readonly string[]
  action: DeployAction
  cleanup: boolean
  /** Lifetime in seconds, or `'never'` for a token without `exp` (only on explicit request). */
  expiresIn: number | 'never'
  hook?: HookBinding | undefined
}

/** The request cannot become a valid token (a bad container name, a zero lifetime, …). */
export class MintError extends Error {
  override name = 'MintError'
}

/**
 * Mints a v4.public deploy token signed by `signer`, with `{"kid": …}` in its footer.
 *
 * @example
 * const { token, claims } = await mintToken(
 *   { containerNames: ['web'], action: 'pull-recreate', cleanup: true, expiresIn: 30 * 86400 },
 *   keyRing.current(),
 *   new Date(),
 * )
 */
export async function mintToken(request: MintRequest, signer: SigningKey, now: Date): Promise<{ token: string; claims: DeployClaims }> {
  const { expiresIn } = request
  if (expiresIn !== 'never' && !(Number.isInteger(expiresIn) && expiresIn > 0 && expiresIn <= MAX_LIFETIME_SECONDS)) {
    throw new MintError(`expiresIn must be a whole number of seconds from 1 to ${MAX_LIFETIME_SECONDS}, or 'never'`)
  }
  const issued = Math.floor(now.getTime() / 1000) * 1000
  const parsed = DeployClaimsSchema.safeParse({
    containerNames: request.containerNames,
    action: request.action,
    cleanup: request.cleanup,
    jti: toBase64Url(crypto.getRandomValues(new Uint8Array(JTI_BYTES))),
    iat: rfc3339(issued),
    exp: expiresIn === 'never' ? undefined : rfc3339(issued + expiresIn * 1000),
    hook: request.hook,
  })
  if (!parsed.success) throw new MintError(`cannot mint this token: ${describeClaimIssues(parsed.error)}`)
  const claims = withoutUndefined(parsed.data)

  const token = await v4.Sign(signer.key, claims, {
    footer: encoder.encode(JSON.stringify({ kid: signer.kid })),
    now: new Date(issued),
    addIssuedAt: false,
    // Without this paseto would add a one-hour exp to a token that is meant not to expire.
    nonExpiring: claims.exp === undefined,
  })
  return { token, claims }
}

/** Whole seconds, as paseto writes its own dates: `2026-01-31T12:00:00Z`. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** The claims exactly as signed: JSON drops undefined members, so the returned object does too. */
function withoutUndefined(claims: DeployClaims): DeployClaims {
  return JSON.parse(JSON.stringify(claims)) as DeployClaims
}
