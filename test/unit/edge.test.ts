import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import worker, { type Env } from '../../src/edge.ts'

// The Worker entry called the way workerd calls it (test/edge/ runs it in workerd for real).
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} }
const healthz = (env: Env) => worker.fetch(new Request('http://edge.test/healthz'), env, ctx)

describe('the edge entry', () => {
  const agent = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'))
  let agentUrl: string
  beforeAll(async () => {
    agent.listen(0, '127.0.0.1')
    await once(agent, 'listening')
    agentUrl = `http://127.0.0.1:${(agent.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    agent.closeAllConnections()
    await new Promise((resolve) => agent.close(resolve))
  })

  it('answers 503 when AGENT_URL is not set', async () => {
    const response = await healthz({})
    expect(response.status).toBe(503)
    expect(await response.json()).toEqual({ status: 'unavailable', reason: 'AGENT_URL is not configured' })
  })

  it('relays to the AGENT_URL of the env it is called with', async () => {
    const env = { AGENT_URL: agentUrl }
    for (let i = 0; i < 2; i++) {
      const response = await healthz(env)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ status: 'ok', engine: 'agent up' })
    }
    // A new env object (new bindings) is not served by an app built for another one.
    expect((await healthz({})).status).toBe(503)
  })
})
