import { Hono } from 'hono'
import type { EngineHealth } from '../ports.ts'

/** `GET /healthz`: 200 while the Engine answers, 503 with the reason when it does not. */
export function healthRoutes(health: EngineHealth): Hono {
  return new Hono().get('/healthz', async (c) => {
    const status = await health.check()
    c.header('cache-control', 'no-store')
    return status.ok ? c.json({ status: 'ok', engine: status.detail }) : c.json({ status: 'unavailable', reason: status.reason }, 503)
  })
}
