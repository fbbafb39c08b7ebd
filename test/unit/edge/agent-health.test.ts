import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { AGENT_HEALTH_TIMEOUT_MS, agentHealth } from '../../../src/edge/agent-health.ts'

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A scripted agent on 127.0.0.1; `seen` lists the requests it got. */
async function fakeAgent(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    handle(req, res)
  })
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

const mustNotFetch: typeof fetch = () => {
  throw new Error('fetch must not be called')
}

describe('agentHealth', () => {
  it('is healthy when the agent answers 200, and passes on what its Engine is', async () => {
    const agent = await fakeAgent((_req, res) => json(res, 200, { status: 'ok', engine: 'Docker Engine API 1.41' }))
    expect(await agentHealth(agent.url).check()).toEqual({ ok: true, detail: 'agent up, Docker Engine API 1.41' })
    expect(agent.seen).toEqual(['GET /healthz'])
  })

  it('counts a 200 by its status even when the body is not the agent JSON', async () => {
    const agent = await fakeAgent((_req, res) => res.writeHead(200).end('OK'))
    expect(await agentHealth(agent.url).check()).toEqual({ ok: true, detail: 'agent up' })
  })

  it('keeps a path prefix of AGENT_URL and drops its query', async () => {
    const agent = await fakeAgent((_req, res) => json(res, 200, { status: 'ok' }))
    await agentHealth(`${agent.url}/dockhook/?x=1`).check()
    expect(agent.seen).toEqual(['GET /dockhook/healthz'])
  })

  it("is unhealthy with the agent's status and reason when it answers 503", async () => {
    const agent = await fakeAgent((_req, res) => json(res, 503, { status: 'unavailable', reason: 'connect ENOENT /var/run/docker.sock' }))
    expect(await agentHealth(agent.url).check()).toEqual({ ok: false, reason: 'the agent answered 503: connect ENOENT /var/run/docker.sock' })
  })

  it("cuts a long reason from the agent short", async () => {
    const agent = await fakeAgent((_req, res) => json(res, 503, { reason: 'x'.repeat(5_000) }))
    const status = await agentHealth(agent.url).check()
    expect(status).toEqual({ ok: false, reason: `the agent answered 503: ${'x'.repeat(200)}` })
  })

  it('does not follow a redirect: the agent itself must answer', async () => {
    const target = await fakeAgent((_req, res) => json(res, 200, { status: 'ok' }))
    const agent = await fakeAgent((_req, res) => res.writeHead(302, { location: `${target.url}/healthz` }).end())
    expect(await agentHealth(agent.url).check()).toEqual({ ok: false, reason: 'the agent answered 302' })
    expect(target.seen).toEqual([])
  })

  it('is unhealthy, without naming the address, when nothing listens there', async () => {
    const agent = await fakeAgent(() => {})
    const server = servers.pop()!
    await new Promise((resolve) => server.close(resolve))
    const status = await agentHealth(agent.url).check()
    expect(status).toEqual({ ok: false, reason: 'the agent is unreachable' })
  })

  it('reports a timeout, and waits the default 2 s unless told otherwise', async () => {
    let signal: AbortSignal | undefined
    const timingOut: typeof fetch = async (_input, init) => {
      signal = init?.signal ?? undefined
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError')
    }
    const status = await agentHealth('http://agent.invalid', { fetch: timingOut }).check()
    expect(status).toEqual({ ok: false, reason: `the agent did not answer within ${AGENT_HEALTH_TIMEOUT_MS} ms` })
    expect(AGENT_HEALTH_TIMEOUT_MS).toBe(2_000)
    expect(signal).toBeInstanceOf(AbortSignal)
    expect(signal?.aborted).toBe(false)
  })

  it('gives up on an agent that never answers once the timeout passes', async () => {
    // The agent holds the request open; only the edge's own timeout can end the check.
    const agent = await fakeAgent(() => {})
    const status = await agentHealth(agent.url, { timeoutMs: 50 }).check()
    expect(status).toEqual({ ok: false, reason: 'the agent did not answer within 50 ms' })
    expect(agent.seen).toEqual(['GET /healthz'])
  })

  it.each([
    [undefined, 'AGENT_URL is not configured'],
    ['', 'AGENT_URL is not configured'],
    ['   ', 'AGENT_URL is not configured'],
    ['127.0.0.1:3000', 'AGENT_URL is not an http(s) URL'],
    ['ftp://agent.example', 'AGENT_URL is not an http(s) URL'],
    ['not a url', 'AGENT_URL is not an http(s) URL'],
    ['https://deploy:s3cret@agent.example', 'AGENT_URL must not contain credentials'],
  ])('is unhealthy without asking anyone when AGENT_URL is %j', async (agentUrl, reason) => {
    const status = await agentHealth(agentUrl, { fetch: mustNotFetch }).check()
    expect(status).toEqual({ ok: false, reason })
    expect(JSON.stringify(status)).not.toContain('s3cret')
  })
})
