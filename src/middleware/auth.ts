/*
 * Deploy-token authentication for a route: find the token, refuse clients over their failure
 * allowance before spending any cryptography on them, verify, and hand the claims to the handler.
 * Tokens never reach a log line or an error message; only the reason code and the client do.
 */
import type { Context, MiddlewareHandler } from 'hono'
import type { DeployClaims } from '../tokens/claims.ts'
import type { KeyId } from '../tokens/keys.ts'
import type { TokenEndpoint, TokenRejection, TokenVerifier } from '../tokens/verify.ts'
import { ApiError } from '../errors.ts'
import type { Logger } from '../ports.ts'
import type { FailureLimiter } from './rate-limit.ts'

/** What an authenticated request carries into its handler: `c.get('deploy')`. */
export interface AuthVariables {
  deploy: { claims: DeployClaims; kid: KeyId }
}

/** The peer address of the connection, as the runtime sees it (Node: `getConnInfo`). */
export type ClientAddress = (c: Context) => string | undefined

export interface AuthOptions {
  tokens: TokenVerifier
  endpoint: TokenEndpoint
  limiter: FailureLimiter
  clientAddress: ClientAddress
  /** Trust the last `X-Forwarded-For` entry (BEHIND_PROXY=true); otherwise the header is ignored. */
  behindProxy: boolean
  logger: Logger
  /** Where the token travels; defaults to `X-Deploy-Token`, then `Authorization: Bearer`. */
  tokenFrom?: (c: Context) => string | undefined
}

// A token that is well formed but bound elsewhere is not an authentication failure but a refusal.
const STATUS: Partial<Record<TokenRejection, 403>> = { wrong_endpoint: 403 }

/**
 * Middleware that admits only requests with a valid deploy token for `endpoint`.
 *
 * @example
 * app.post('/v1/deploy', requireDeployToken({ tokens, endpoint: 'deploy', limiter, clientAddress, behindProxy: false, logger }), handler)
 */
export function requireDeployToken(options: AuthOptions): MiddlewareHandler<{ Variables: AuthVariables }> {
  const { tokens, endpoint, limiter, clientAddress, behindProxy, logger, tokenFrom = deployTokenFrom } = options
  return async function deployTokenAuth(c, next) {
    const client = clientIp(c, clientAddress, behindProxy)
    const retryAfter = limiter.retryAfter(client)
    if (retryAfter !== undefined) {
      throw new ApiError(429, 'too_many_failures', `too many failed authentications from ${client}; try again in ${retryAfter} s`, {
        headers: { 'Retry-After': String(retryAfter) },
      })
    }
    const result = await tokens.verify(tokenFrom(c), endpoint)
    if (!result.ok) {
      logger.warn('deploy token rejected', { reason: result.reason, client, endpoint })
      if (limiter.recordFailure(client)) logger.warn('client reached the failed-authentication limit; answering 429 for the rest of the minute', { client })
      throw new ApiError(STATUS[result.reason] ?? 401, result.reason, result.message)
    }
    c.set('deploy', { claims: result.claims, kid: result.kid })
    await next()
  }
}

/** `X-Deploy-Token` (docker-deploy-api's header), else an `Authorization: Bearer` token. */
export function deployTokenFrom(c: Context): string | undefined {
  const header = c.req.header('x-deploy-token')?.trim()
  if (header) return header
  const bearer = /^Bearer[ \t]+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')
  return bearer?.[1]
}

const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/
const IPV6 = /^[0-9a-f:]*:[0-9a-f:.]*$/i

/**
 * The address failures are counted against. Behind a proxy it is the last `X-Forwarded-For` entry,
 * the one the proxy itself appended: earlier entries come from the client and are free to forge,
 * which would let it dodge the limit by sending a new address each time.
 */
export function clientIp(c: Context, clientAddress: ClientAddress, behindProxy: boolean): string {
  if (behindProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim()
    const address = forwarded && normalizeAddress(forwarded)
    if (address) return address
  }
  return clientAddress(c) ?? 'unknown'
}

function normalizeAddress(text: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text)
  const candidate = bracketed ? bracketed[1]! : /^[\d.]+:\d+$/.test(text) ? text.slice(0, text.lastIndexOf(':')) : text
  return IPV4.test(candidate) || IPV6.test(candidate) ? candidate.toLowerCase() : undefined
}
