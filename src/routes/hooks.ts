/*
 * `POST /v1/hooks/:provider` (DESIGN.md, "Webhooks"; webhook-formats.md). The provider's module says
 * where its token travels, the shared authentication checks it for that provider's endpoint, and
 * `receiveHook` verifies, parses and matches the delivery and starts the deploy. The answer does not
 * wait for the deploy: senders give up after 1 s (distribution) to 10 s (GitHub, GitLab).
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import type { Deployer } from '../deploy.ts'
import { ApiError, messageOf } from '../errors.ts'
import { HOOK_PROVIDER_MODULES, receiveHook, type DeliveryLog, type HookDeps, type HookProviderModule, type HookRequest } from '../hooks/index.ts'
import type { AuthVariables } from '../middleware/auth.ts'
import { requestBodyLimit, WEBHOOK_BODY_LIMIT_BYTES } from '../middleware/http-hygiene.ts'
import type { Logger } from '../ports.ts'
import { HOOK_PROVIDERS } from '../tokens/claims.ts'
import { deploymentStatusUrl } from './deploy.ts'

type Env = { Variables: AuthVariables }

/**
 * What webhooks need from the host: the token's webhook secret and the images its containers run.
 * `containerImages` rejects when it cannot tell (the Engine does not answer): the delivery gets 503.
 */
export type HookPorts = Pick<HookDeps, 'hookSecret' | 'containerImages'>

export interface HookRouteOptions {
  /** Deploy-token authentication for one provider's endpoint, reading the token where that provider puts it. */
  auth(provider: HookProviderModule): MiddlewareHandler<Env>
  /** Absent where nothing can deploy (an edge without agents): verified deliveries then get 501. */
  hooks: HookPorts | undefined
  deployer: Deployer | undefined
  /** One per app, so a redelivery is recognised whichever request brings it. */
  deliveries: DeliveryLog
  /** `URL`: where clients read a deployment's status; the request's own origin when unset. */
  publicUrl: string | undefined
  now: () => Date
  logger: Logger
}

/**
 * The webhook entry. Answers 404 for an unknown provider, 401/403 for the token, 413 over
 * {@link WEBHOOK_BODY_LIMIT_BYTES}, then whatever `receiveHook` decides (202 with the deployment and
 * its `status_url`, 200 `{"ignored": reason}`, 400, 401 for a signature).
 */
export function hookRoutes(options: HookRouteOptions): Hono<Env> {
  const { hooks, deployer, deliveries, publicUrl, now, logger } = options
  // After the token: only a token holder can make the agent hold a body this large.
  const bodyLimit = requestBodyLimit(WEBHOOK_BODY_LIMIT_BYTES)

  const imagesOrUnavailable = (ports: HookPorts): HookDeps['containerImages'] => async (names) => {
    try {
      return await ports.containerImages(names)
    } catch (error) {
      logger.warn('webhook: could not read the images of the containers', { reason: messageOf(error) })
      throw new ApiError(503, 'unavailable', 'the Docker Engine did not answer; the delivery can be retried')
    }
  }
  const deps: HookDeps | undefined =
    hooks && deployer ? { hookSecret: hooks.hookSecret, containerImages: imagesOrUnavailable(hooks), deliveries, deployer } : undefined

  const receive = (provider: HookProviderModule) =>
    async function hookDelivery(c: Context<Env>): Promise<Response> {
      if (!deps) throw new ApiError(501, 'not_implemented', 'the token is valid, but this instance cannot deploy')
      const req: HookRequest = {
        headers: c.req.raw.headers,
        url: new URL(c.req.url),
        body: new Uint8Array(await c.req.arrayBuffer()),
        receivedAt: now(),
      }
      const answer = await receiveHook(provider, req, c.get('deploy').claims, deps)
      if (answer.status !== 202) return c.json(answer.body, answer.status)
      const statusUrl = deploymentStatusUrl(c, publicUrl)(answer.body.deployment)
      c.header('x-deployment-id', answer.body.deployment)
      c.header('location', statusUrl)
      return c.json({ ...answer.body, status_url: statusUrl }, 202)
    }

  // One route per provider, each with the authentication that reads the token where it travels.
  const app = new Hono<Env>()
  for (const provider of Object.values(HOOK_PROVIDER_MODULES)) {
    app.post(`/v1/hooks/${provider.name}`, options.auth(provider), bodyLimit, receive(provider))
  }
  return app.post('/v1/hooks/:provider', () => {
    throw new ApiError(404, 'unknown_provider', `no such webhook provider; use one of ${HOOK_PROVIDERS.join(', ')}`)
  })
}
