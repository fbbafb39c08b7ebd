import { Hono, type Context, type MiddlewareHandler } from 'hono'
import type { Deployer, DeploymentRecord } from '../deploy.ts'
import { ApiError } from '../errors.ts'
import type { AuthVariables } from '../middleware/auth.ts'
import { startAndAnswer } from './deploy-answers.ts'

type Env = { Variables: AuthVariables }

export interface DeployRouteOptions {
  /** Absent where nothing can deploy (an edge without agents): verified requests then get 501. */
  deployer: Deployer | undefined
  /** `URL`: where clients read a deployment's status; the request's own origin when unset. */
  publicUrl: string | undefined
}

/** Where a deployment's status is read: under `URL` when set, else under the request's own origin. */
export function deploymentStatusUrl(c: Context, publicUrl: string | undefined): (id: string) => string {
  return (id) => `${publicUrl ?? new URL(c.req.url).origin}/v1/deployments/${id}`
}

/**
 * `POST /v1/deploy` deploys what the token names; `GET /v1/deployments/:id` shows one deployment to
 * the holder of the token that started it (to anyone else it does not exist), webhook tokens included.
 */
export function deployRoutes(auth: { deploy: MiddlewareHandler<Env>; status: MiddlewareHandler<Env> }, options: DeployRouteOptions): Hono<Env> {
  const statusUrl = (c: Context) => deploymentStatusUrl(c, options.publicUrl)
  const deployerOf = (): Deployer => {
    if (!options.deployer) throw new ApiError(501, 'not_implemented', 'the token is valid, but this instance cannot deploy')
    return options.deployer
  }

  return new Hono<Env>()
    .post('/v1/deploy', auth.deploy, (c) => {
      const deployer = deployerOf()
      const { claims } = c.get('deploy')
      const request = { containerNames: claims.containerNames, action: claims.action, cleanup: claims.cleanup, jti: claims.jti, trigger: { source: 'api' as const } }
      return startAndAnswer(c, deployer, request, statusUrl(c))
    })
    .get('/v1/deployments/:id', auth.status, async (c) => {
      const stored = await deployerOf().get(c.req.param('id'))
      if (!stored || stored.jti !== c.get('deploy').claims.jti) throw new ApiError(404, 'deployment_not_found', 'no deployment with this id was started with this token')
      const { jti: _jti, ...record } = stored
      c.header('cache-control', 'no-store')
      return c.json(record satisfies DeploymentRecord)
    })
}
