import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestAgent, type TestAgent } from '../support/agent.ts'
import { buildImage, cleanup, docker, hostAddress, httpGet, registry, runContainer, uniqueName, waitFor } from '../support/harness.ts'

let t: TestAgent
beforeAll(async () => {
  t = await startTestAgent()
})
afterAll(async () => {
  await t.close()
  await cleanup()
})

async function appWithNewerImage() {
  const ref = `${registry()}/${uniqueName('http')}:live`
  const v1 = await buildImage(ref, { content: 'v1', push: true })
  const app = await runContainer({ image: ref, args: ['-p', '127.0.0.1::80'] })
  const v2 = await buildImage(ref, { content: 'v2', push: true })
  await docker(['tag', v1, ref])
  return { ref, v1, v2, ...app }
}

function post(token: string, headers: Record<string, string> = {}) {
  return fetch(`${t.agent.url}/v1/deploy`, { method: 'POST', headers: { 'x-deploy-token': token, ...headers } })
}

describe('POST /v1/deploy', () => {
  it('plain text (docker-deploy-api compatible): one "<time> - <message>" line per step, 200 on success', async () => {
    const app = await appWithNewerImage()
    const response = await post(await t.token([app.name], 'pull-recreate'))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
    const lines = (await response.text()).trim().split('\n')
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z - \S/)
    expect(lines.join('\n')).toMatch(/Pulling [\s\S]*Created the new container/)
    expect(lines.at(-1)).toMatch(/ - Deployment succeeded$/)
    expect(await waitFor(() => hostAddress(app.name).then((a) => httpGet(`http://${a}/`)))).toBe('v2')
  })

  it('NDJSON: events arrive as they happen and end with a result event', async () => {
    const app = await appWithNewerImage()
    const response = await post(await t.token([app.name], 'pull-recreate'), { accept: 'application/x-ndjson' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/x-ndjson')
    const arrivals: { at: number; event: { type: string; [key: string]: unknown } }[] = []
    const decoder = new TextDecoder()
    let buffered = ''
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true })
      let newline: number
      while ((newline = buffered.indexOf('\n')) >= 0) {
        arrivals.push({ at: Date.now(), event: JSON.parse(buffered.slice(0, newline)) })
        buffered = buffered.slice(newline + 1)
      }
    }
    const types = arrivals.map((a) => a.event.type)
    expect(types).toContain('log')
    expect(types).toContain('progress')
    expect(types.at(-2)).toBe('log')
    expect(arrivals.at(-1)?.event).toMatchObject({ type: 'result', ok: true, status: 'succeeded', targets: [{ container: app.name, status: 'succeeded' }] })
    // Streamed, not buffered: the first event came well before the last.
    expect((arrivals.at(-1)?.at ?? 0) - (arrivals[0]?.at ?? 0)).toBeGreaterThan(200)
  })

  it('Prefer: respond-async → 202 with the status URL; the status is readable with the same token only', async () => {
    const app = await appWithNewerImage()
    const token = await t.token([app.name], 'pull-recreate')
    const response = await post(token, { prefer: 'respond-async' })
    expect(response.status).toBe(202)
    const body = (await response.json()) as { deployment: string; status_url: string }
    expect(body.status_url).toBe(`${t.agent.url}/v1/deployments/${body.deployment}`)
    const status = await waitFor(async () => {
      const answer = await fetch(body.status_url, { headers: { authorization: `Bearer ${token}` } })
      const record = (await answer.json()) as { status: string }
      return ['succeeded', 'failed', 'rolled-back'].includes(record.status) ? record : undefined
    }, { timeoutMs: 30_000 })
    expect(status).toMatchObject({ id: body.deployment, status: 'succeeded', action: 'pull-recreate', containerNames: [app.name], trigger: { source: 'api' }, targets: [{ container: app.name, status: 'succeeded' }] })
    expect(status).not.toHaveProperty('jti')
    expect((status as unknown as { log: unknown[] }).log.length).toBeGreaterThan(3)

    const stranger = await fetch(body.status_url, { headers: { 'x-deploy-token': await t.token([app.name], 'pull-recreate') } })
    expect(stranger.status).toBe(404)
    const anonymous = await fetch(body.status_url)
    expect(anonymous.status).toBe(401)
  })

  it('404 when a named container does not exist, and nothing is touched', async () => {
    const app = await appWithNewerImage()
    const missing = uniqueName('nope')
    const response = await post(await t.token([app.name, missing], 'pull-recreate'))
    expect(response.status).toBe(404)
    expect(await response.text()).toMatch(new RegExp(`Container not found: ${missing}; nothing was changed`))
    expect((await docker(['inspect', '--format', '{{.Id}}', app.name])).trim()).toBe(app.id)
  })

  it('500 for a failed deploy after rollback, with the reason in the last lines', async () => {
    const ref = `${registry()}/${uniqueName('bad')}:live`
    const v1 = await buildImage(ref, { content: 'v1', push: true })
    const app = await runContainer({ image: ref })
    await buildImage(ref, { cmd: ['/bin/sh', '-c', 'exit 7'], push: true })
    await docker(['tag', v1, ref])
    const slow = await startTestAgent({ DEPLOY_STABLE_SECONDS: '1' })
    try {
      const response = await fetch(`${slow.agent.url}/v1/deploy`, { method: 'POST', headers: { 'x-deploy-token': await slow.token([app.name], 'pull-recreate') } })
      expect(response.status).toBe(500)
      const text = await response.text()
      expect(text).toMatch(/exited with code 7/)
      expect(text).toMatch(/Rolled back/)
      expect(text.trim().split('\n').at(-1)).toMatch(/Deployment rolled-back$/)
    } finally {
      await slow.close()
    }
    expect((await docker(['inspect', '--format', '{{.Id}} {{.State.Running}}', app.name])).trim()).toBe(`${app.id} true`)
  })

  it('never writes a token into the log', async () => {
    const app = await appWithNewerImage()
    const token = await t.token([app.name], 'restart')
    expect((await post(token)).status).toBe(200)
    expect((await post(`${token}x`)).status).toBe(401)
    expect(t.logs.join('\n')).not.toContain(token.slice(10, 60))
  })
})

describe('shutting down', () => {
  it('SIGTERM-style close: new deploys get 503 while a running one finishes', async () => {
    const draining = await startTestAgent({ DEPLOY_STABLE_SECONDS: '3' })
    const app = await appWithNewerImage()
    const token = await draining.token([app.name], 'pull-recreate')
    const first = await fetch(`${draining.agent.url}/v1/deploy`, { method: 'POST', headers: { 'x-deploy-token': token, prefer: 'respond-async' } })
    expect(first.status).toBe(202)
    const { deployment } = (await first.json()) as { deployment: string }
    await waitFor(async () => (await draining.agent.engine.inspectContainer(app.name))?.Id !== app.id, { timeoutMs: 20_000 })
    const closing = draining.agent.close()
    const refused = await fetch(`${draining.agent.url}/v1/deploy`, { method: 'POST', headers: { 'x-deploy-token': token } })
    expect(refused.status).toBe(503)
    expect(await refused.text()).toMatch(/shutting down/)
    await closing
    const record = await draining.agent.deployer.get(deployment)
    expect(record?.status).toBe('succeeded')
  })
})
