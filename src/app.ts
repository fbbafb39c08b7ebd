import { Hono, type Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { Deployer } from './deploy.ts'
import { createDeliveryLog } from './hooks/deliveries.ts'
import { ApiError } from './errors.ts'
import { requireDeployToken, type ClientAddress } from './middleware/auth.ts'
import { DEPLOY_BODY_LIMIT_BYTES, deployCors, requestBodyLimit } from './middleware/http-hygiene.ts'
import { createFailureLimiter, DEFAULT_AUTH_FAILURE_LIMIT } from './middleware/rate-limit.ts'
import { silentLogger, type EngineHealth, type Logger } from './ports.ts'
import { deployRoutes } from './routes/deploy.ts'
import { healthRoutes } from './routes/health.ts'
import { hookRoutes, type HookPorts } from './routes/hooks.ts'
import { pageRoutes, type PageOptions } from './routes/pages.ts'
import type { TokenEndpoint, TokenVerifier } from './tokens/verify.ts'

/** Everything the app needs from its runtime; the Node agent and the edge entry each build one. */
export interface AppDeps {
  health: EngineHealth
  /** Checks deploy tokens: the agent's key ring and revocations, or the edge's public keys. */
  tokens: TokenVerifier
  /** The connection's peer address (Node: `getConnInfo(c).remote.address`); failures are counted per address. */
  clientAddress?: ClientAddress
  /** BEHIND_PROXY: only then is `X-Forwarded-For` trusted for the client address. */
  behindProxy?: boolean
  /** AUTH_FAILURE_LIMIT: failed authentications per client per minute before 429; 0 disables. */
  authFailureLimit?: number
  /** The clock of the failure limiter; tests move it instead of sleeping. */
  now?: () => Date
  logger?: Logger
  /** Runs deployments (the host agent); absent at an edge that cannot deploy yet. */
  deployer?: Deployer
  /** `URL`: the public base URL put into status links; the request's origin when unset. */
  publicUrl?: string
  /** What `POST /v1/hooks/:provider` needs from the host; without it verified deliveries get 501. */
  hooks?: HookPorts
  /** The index page and helper scripts (`GET /`, `/s`, `/pwsh`, `/robots.txt`); left out when absent. */
  pages?: PageOptions
}

/** Builds the dockhook HTTP app. The same routes serve the Node agent and the Workers edge. */
export function createApp(deps: AppDeps): Hono {
  const logger = deps.logger ?? silentLogger
  const app = new Hono()

  const now = deps.now ?? (() => new Date())
  const limiter = createFailureLimiter(deps.authFailureLimit ?? DEFAULT_AUTH_FAILURE_LIMIT, () => now().getTime())
  const auth = (endpoint: TokenEndpoint, tokenFrom?: (c: Context) => string | undefined) =>
    requireDeployToken({ tokens: deps.tokens, endpoint, limiter, clientAddress: deps.clientAddress ?? (() => undefined), behindProxy: deps.behindProxy ?? false, logger, ...(tokenFrom ? { tokenFrom } : {}) })

  app.use(deployCors())
  app.use('/v1/deploy', requestBodyLimit(DEPLOY_BODY_LIMIT_BYTES))

  app.route('/', healthRoutes(deps.health))
  app.route('/', deployRoutes({ deploy: auth('deploy'), status: auth('status') }, { deployer: deps.deployer, publicUrl: deps.publicUrl }))
  app.route(
    '/',
    hookRoutes({
      auth: (provider) => auth(provider.name, (c) => provider.tokenFrom({ headers: c.req.raw.headers, url: new URL(c.req.url) })),
      hooks: deps.hooks,
      deployer: deps.deployer,
      deliveries: createDeliveryLog({ now: () => now().getTime() }),
      publicUrl: deps.publicUrl,
      now,
      logger,
    }),
  )

  if (deps.pages) app.route('/', pageRoutes(deps.pages))

  app.notFound((c) => c.json({ error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404))

  app.onError((error, c) => {
    if (error instanceof ApiError) {
      return c.json({ error: error.code, message: error.message }, error.status, error.headers)
    }
    if (error instanceof HTTPException) {
      return c.json({ error: 'http_error', message: error.message || 'request failed' }, error.status)
    }
    // Unexpected: log what it was, but tell the client nothing about the internals.
    logger.error('unhandled error', { method: c.req.method, path: c.req.path, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })
    return c.json({ error: 'internal', message: 'internal error' }, 500)
  })

  return app
}
