import { z } from 'zod'
import type { EngineHealth, EngineStatus } from '../ports.ts'

/** How long the edge waits for an agent's /healthz before calling it down. */
export const AGENT_HEALTH_TIMEOUT_MS = 2_000

// Agents answer with the app's own /healthz body; anything else still counts by its status alone.
const healthBody = z.object({ engine: z.string().optional(), reason: z.string().optional() })
// An agent's reason is shown to whoever asks the edge, so keep it to one short line.
const MAX_REASON_LENGTH = 200

export interface AgentHealthOptions {
  fetch?: typeof fetch
  timeoutMs?: number
}

/**
 * The /healthz port at the edge: healthy while the agent behind it answers its own /healthz with 200.
 * Reasons never contain the agent's URL: it is private to the gateway's configuration.
 *
 * @example
 * createApp({ health: agentHealth(env.AGENT_URL) })
 */
export function agentHealth(agentUrl: string | undefined, options: AgentHealthOptions = {}): EngineHealth {
  const doFetch = options.fetch ?? fetch
  const timeoutMs = options.timeoutMs ?? AGENT_HEALTH_TIMEOUT_MS
  const target = healthUrl(agentUrl)

  return {
    async check(): Promise<EngineStatus> {
      if (!target.ok) return target
      let response: Response
      try {
        // redirect: 'manual' — a redirect is not the agent answering, and must not send the probe elsewhere.
        response = await doFetch(target.url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', headers: { accept: 'application/json' } })
      } catch (error) {
        const timedOut = error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')
        return { ok: false, reason: timedOut ? `the agent did not answer within ${timeoutMs} ms` : 'the agent is unreachable' }
      }
      const body = healthBody.safeParse(await readJson(response))
      const detail = body.success ? body.data : {}
      if (response.status === 200) return { ok: true, detail: detail.engine ? `agent up, ${detail.engine}` : 'agent up' }
      const why = detail.reason ? `: ${detail.reason.slice(0, MAX_REASON_LENGTH)}` : ''
      return { ok: false, reason: `the agent answered ${response.status}${why}` }
    },
  }
}

function healthUrl(agentUrl: string | undefined): { ok: true; url: string } | { ok: false; reason: string } {
  if (agentUrl === undefined || agentUrl.trim() === '') return { ok: false, reason: 'AGENT_URL is not configured' }
  const parsed = URL.parse(agentUrl.trim())
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    return { ok: false, reason: 'AGENT_URL is not an http(s) URL' }
  }
  // fetch refuses URLs with user:password; say so instead of reporting the agent unreachable.
  if (parsed.username || parsed.password) return { ok: false, reason: 'AGENT_URL must not contain credentials' }
  // Keep a path prefix (an agent behind a proxy at /dockhook) instead of resolving against the origin.
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}/healthz`
  parsed.search = ''
  parsed.hash = ''
  return { ok: true, url: parsed.href }
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json()
  } catch {
    return undefined
  }
}
