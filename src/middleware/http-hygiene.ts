/*
 * Request hygiene every route shares: CORS as docker-deploy-api answered it (so a browser-based
 * dashboard that called it keeps working), and a bound on how much body a request may send.
 */
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { ApiError } from '../errors.ts'

/** `POST /v1/deploy` needs no body at all; 1 MiB leaves room for a client that sends one anyway. */
export const DEPLOY_BODY_LIMIT_BYTES = 1024 * 1024

/**
 * `POST /v1/hooks/:provider`: GitHub and GitLab cap their payloads at 25 MB, so every delivery a
 * provider can send fits, and no large push payload turns into a failed delivery that GitLab counts
 * towards disabling the hook. The hook route checks it after the token, so only a token holder can
 * make the agent hold that much.
 */
export const WEBHOOK_BODY_LIMIT_BYTES = 25 * 1024 * 1024

/** How long a browser may reuse a preflight answer, as docker-deploy-api allowed. */
export const CORS_MAX_AGE_SECONDS = 86_400

/**
 * CORS for every route: any origin, the deploy token headers, and preflight `OPTIONS` answered 204.
 * Tokens travel in headers, never in cookies, so allowing any origin hands a page nothing it does
 * not already hold.
 */
export function deployCors(): MiddlewareHandler {
  return cors({
    origin: '*',
    allowMethods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    allowHeaders: ['X-Deploy-Token', 'Authorization', 'Content-Type', 'Accept', 'Prefer'],
    exposeHeaders: ['X-Deployment-Id', 'Location', 'Retry-After'],
    maxAge: CORS_MAX_AGE_SECONDS,
  })
}

/**
 * Refuses a request whose body is larger than `maxBytes` with 413 `payload_too_large`, judged by
 * `Content-Length` when given, otherwise by counting the body as it arrives.
 *
 * @example app.use('/v1/deploy', requestBodyLimit(DEPLOY_BODY_LIMIT_BYTES))
 */
export function requestBodyLimit(maxBytes: number): MiddlewareHandler {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError('the body limit must be a whole number of bytes ≥ 0')
  const tooLarge = (): never => {
    throw new ApiError(413, 'payload_too_large', `the request body is larger than ${maxBytes} bytes`)
  }
  const counted = bodyLimit({ maxSize: maxBytes, onError: tooLarge })
  return async function requestBodyLimit(c, next) {
    // The HTTP parser holds a body to its declared length, so the header is the answer. Only a body
    // without one is counted: touching `c.req.raw.body` makes @hono/node-server build a full
    // Request with a web stream, which costs every request more than the rest of the routing.
    const length = c.req.header('content-length')
    if (length === undefined || c.req.header('transfer-encoding')) return counted(c, next)
    if (Number(length) > maxBytes) tooLarge()
    return next()
  }
}
