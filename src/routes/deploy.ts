import { Hono, type MiddlewareHandler } from 'hono'
import type { AuthVariables } from '../middleware/auth.ts'

type Env = { Variables: AuthVariables }

/**
 * `POST /v1/deploy`. Authentication is in place; deploying comes with the deployer, so until then a
 * verified request answers 501 with the claims it would have deployed.
 */
export function deployRoutes(auth: MiddlewareHandler<Env>): Hono<Env> {
  return new Hono<Env>().post('/v1/deploy', auth, (c) => {
    const { claims } = c.get('deploy')
    return c.json({ error: 'not_implemented', message: 'the token is valid, but this instance cannot deploy yet', claims }, 501)
  })
}
