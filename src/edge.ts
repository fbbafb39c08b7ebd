/*
 * The Cloudflare Workers entry of the edge gateway (see wrangler.toml): read the bindings, build the
 * app once per isolate, serve. Everything else lives in modules that also run on Node.
 */
import type { ExecutionContext, Hono } from 'hono'
import { createApp } from './app.ts'
import { agentHealth } from './edge/agent-health.ts'
import { edgeTokenVerifier } from './edge/tokens.ts'

/** The Worker's bindings, as declared in wrangler.toml. */
export interface Env {
  /** Base URL of the agent the gateway relays to, e.g. `https://deploy.example.com`. */
  AGENT_URL?: string
  /** Secret: the agent's public keys (`k4.public…`, from `dockhook key show`), comma separated. */
  PUBLIC_KEYS?: string
}

/** The part of the Workers runtime's `ExportedHandler` this entry implements. */
interface ExportedHandler<E> {
  fetch(request: Request, env: E, ctx: ExecutionContext): Response | Promise<Response>
}

// workerd hands every request of an isolate the same env object; a new one means new bindings.
const apps = new WeakMap<Env, Hono>()

function appFor(env: Env): Hono {
  let app = apps.get(env)
  if (!app) {
    app = createApp({ health: agentHealth(env.AGENT_URL), tokens: edgeTokenVerifier(env.PUBLIC_KEYS) })
    apps.set(env, app)
  }
  return app
}

export default {
  fetch(request, env, ctx) {
    return appFor(env).fetch(request, env, ctx)
  },
} satisfies ExportedHandler<Env>
