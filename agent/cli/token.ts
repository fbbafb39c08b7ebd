import { usesHookSecret, webhookSetup } from '../../src/snippets.ts'
import { HookBindingSchema, type DeployAction, type HookBinding } from '../../src/tokens/claims.ts'
import { fromBase64Url } from '../../src/tokens/encoding.ts'
import { hookSecretFor } from '../../src/tokens/hook-secret.ts'
import { MintError, mintToken } from '../../src/tokens/mint.ts'
import { createTokenVerifier } from '../../src/tokens/verify.ts'
import type { EngineClient } from '../docker/engine.ts'
import { isEngineError } from '../docker/errors.ts'
import { loadOrCreateHookKey } from '../store/hook-key.ts'
import { openKeyRing } from '../store/keys.ts'
import { openRevocations } from '../store/revocations.ts'
import type { TokenCreateOptions } from './commands.ts'
import { CliFailure, type CliContext } from './context.ts'
import { describeExpiry, tokenJson, tokenText, type MintedToken } from './snippets.ts'

const ED25519_SIGNATURE_BYTES = 64

/** What a token will allow; the menu and `token create` both end here. */
export interface TokenRequest {
  containerNames: string[]
  action: DeployAction
  cleanup: boolean
  expiresIn: number | 'never'
  hook?: HookBinding | undefined
}

/**
 * Mints a token with the current signing key and, for a webhook token, works out where it goes
 * (with the derived webhook secret where the provider can use it: GitHub, Gitea/Forgejo, the
 * generic hook, and GitLab as its signing token).
 */
export async function generateToken(ctx: Pick<CliContext, 'dataDir' | 'publicUrl' | 'now'>, request: TokenRequest): Promise<MintedToken> {
  const ring = await openKeyRing(ctx.dataDir)
  let minted: MintedToken
  try {
    minted = await mintToken(request, ring.current(), ctx.now())
  } catch (error) {
    if (error instanceof MintError) throw new CliFailure(error.message)
    throw error
  }
  const provider = minted.claims.hook?.provider
  if (provider === undefined) return minted
  const secret = usesHookSecret(provider) ? await hookSecretFor(await loadOrCreateHookKey(ctx.dataDir), minted.claims.jti) : undefined
  return { ...minted, webhook: webhookSetup(ctx.publicUrl, provider, minted.token, secret) }
}

/**
 * The names among `names` that no container on this Engine has; undefined when the Engine cannot
 * be asked (a token may well be made before its container exists, or on another machine).
 */
export async function missingContainers(engine: EngineClient, names: readonly string[]): Promise<string[] | undefined> {
  try {
    const found = await Promise.all(names.map(async (name) => ((await engine.inspectContainer(name)) ? undefined : name)))
    return found.filter((name): name is string => name !== undefined)
  } catch (error) {
    if (isEngineError(error)) return undefined
    throw error
  }
}

/** `token create`: warns about unknown containers, mints, prints the token and where it goes. */
export async function tokenCreate(ctx: CliContext, options: TokenCreateOptions): Promise<void> {
  const missing = await missingContainers(ctx.engine, options.containerNames)
  if (missing === undefined) {
    ctx.output.err('note: the Docker Engine did not answer, so the container names were not checked\n')
  } else if (missing.length > 0) {
    const which = missing.length === 1 ? `no container named ${missing[0]} exists` : `no containers named ${missing.join(', ')} exist`
    ctx.output.err(`warning: ${which} on this Docker host; the token is made anyway\n`)
  }
  const minted = await generateToken(ctx, options)
  ctx.output.out(options.json ? `${JSON.stringify(tokenJson(minted, ctx.publicUrl))}\n` : tokenText(minted, ctx.publicUrl, ctx.now()))
}

const TOKEN_PREFIX = /^v[1-4]\.(?:public|local)\./

/** `token revoke`: takes a whole token or its jti; the agent refuses the token from then on. */
export async function tokenRevoke(ctx: CliContext, tokenOrJti: string): Promise<void> {
  const value = tokenOrJti.trim()
  if (!value || /\s/.test(value)) throw new CliFailure('give the token or its jti (one word)')
  const revocations = await openRevocations(ctx.dataDir)
  if (TOKEN_PREFIX.test(value)) {
    const revoked = await revocations.revoke({ token: value })
    ctx.output.out(`Revoked the token (jti ${revoked.jti}). The agent refuses it from now on.\n`)
  } else {
    await revocations.revoke({ jti: value })
    ctx.output.out(`Revoked jti ${value}. The agent refuses tokens with this id from now on.\n`)
  }
}

/** The claims a token carries, read without checking anything; only for showing them. */
function unverifiedClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[2]
  const bytes = payload === undefined ? undefined : fromBase64Url(payload)
  if (!bytes || bytes.length <= ED25519_SIGNATURE_BYTES) return undefined
  try {
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes.subarray(0, -ED25519_SIGNATURE_BYTES)))
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * `token inspect`: what a token says and whether this instance accepts it (signature, expiry,
 * revocation), checked at the endpoint the token is meant for.
 */
export async function tokenInspect(ctx: CliContext, token: string, json: boolean): Promise<void> {
  const claims = unverifiedClaims(token.trim())
  if (!claims) throw new CliFailure('this is not a v4.public deploy token')
  const hook = HookBindingSchema.safeParse(claims.hook)
  const ring = await openKeyRing(ctx.dataDir)
  const verifier = createTokenVerifier({ keys: ring, revocations: await openRevocations(ctx.dataDir), now: ctx.now })
  const result = await verifier.verify(token.trim(), hook.success ? hook.data.provider : 'deploy')
  if (json) {
    const verdict = result.ok ? { accepted: true, kid: result.kid } : { accepted: false, reason: result.reason, message: result.message }
    ctx.output.out(`${JSON.stringify({ ...verdict, claims: result.ok ? result.claims : claims })}\n`)
    return
  }
  const lines = [result.ok ? `Accepted by this instance (signed with ${result.kid}).` : `Refused by this instance: ${result.message} (${result.reason}).`, '']
  const shown = result.ok ? result.claims : claims
  const field = (label: string, value: unknown) => {
    if (value !== undefined) lines.push(`  ${`${label}:`.padEnd(12)}${typeof value === 'string' ? value : JSON.stringify(value)}`)
  }
  field('containers', Array.isArray(shown.containerNames) ? shown.containerNames.join(', ') : shown.containerNames)
  field('action', shown.action)
  field('cleanup', shown.cleanup)
  field('issued', shown.iat)
  field('expires', typeof shown.exp === 'string' ? describeExpiry(shown.exp, ctx.now()) : 'never')
  field('jti', shown.jti)
  field('webhook', shown.hook)
  if (!result.ok) lines.push('', '  (claims shown as written in the token; they are not trusted)')
  ctx.output.out(`${lines.join('\n')}\n`)
}
