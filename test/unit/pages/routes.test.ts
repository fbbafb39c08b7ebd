import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { createApp, type AppDeps } from '../../../src/app.ts'
import { DEPLOY_BODY_LIMIT_BYTES, requestBodyLimit } from '../../../src/middleware/http-hygiene.ts'
import type { TokenVerifier } from '../../../src/tokens/verify.ts'

const URL = 'https://deploy.example.com'
const healthy = { check: async () => ({ ok: true as const, detail: 'test' }) }
// Every token is refused: these tests are about what happens around authentication.
const refuseAll: TokenVerifier = { verify: async () => ({ ok: false, reason: 'missing', message: 'no deploy token in X-Deploy-Token or Authorization: Bearer' }) }

function app(pages: Partial<NonNullable<AppDeps['pages']>> = {}) {
  return createApp({
    health: healthy,
    tokens: refuseAll,
    authFailureLimit: 0,
    pages: { publicUrl: URL, indexPage: true, scriptTimeoutSeconds: 300, version: '0.1.0', ...pages },
  })
}

describe('GET /', () => {
  it('serves the index page as HTML with a CSP that allows nothing but its own style', async () => {
    const response = await app().request('/')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=UTF-8')
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    const page = await response.text()
    expect(page).toContain(`<dd><code>${URL}</code></dd>`)
    expect(page).toContain('v0.1.0')
  })

  it('is a JSON 404 like any unknown path when DISABLE_INDEX_PAGE is set, while the scripts stay', async () => {
    const disabled = app({ indexPage: false })
    const response = await disabled.request('/')
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ error: 'not_found', message: 'no route for GET /' })
    expect((await disabled.request('/s')).status).toBe(200)
    expect((await disabled.request('/robots.txt')).status).toBe(200)
  })
})

describe('GET /robots.txt', () => {
  it('disallows everything', async () => {
    const response = await app().request('/robots.txt')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await response.text()).toBe('User-agent: *\nDisallow: /\n')
  })
})

describe('GET /s and GET /pwsh', () => {
  it('serve the bash script as a shell script with the URL and timeout filled in', async () => {
    const response = await app({ scriptTimeoutSeconds: 42 }).request('/s')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/x-shellscript; charset=utf-8')
    const script = await response.text()
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true)
    expect(script).toContain(`local url='${URL}/v1/deploy'`)
    expect(script).toContain('local timeout=42\n')
  })

  it('serve the PowerShell script as plain text with the URL and timeout filled in', async () => {
    const response = await app({ scriptTimeoutSeconds: 42 }).request('/pwsh')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
    const script = await response.text()
    expect(script).toContain(`$url = '${URL}/v1/deploy'`)
    expect(script).toContain('$timeoutSeconds = 42\n')
  })

  it('are left out, like the page, when the app is built without pages (e.g. at the edge)', async () => {
    const bare = createApp({ health: healthy, tokens: refuseAll })
    for (const path of ['/', '/s', '/pwsh', '/robots.txt']) expect((await bare.request(path)).status, path).toBe(404)
  })
})

describe('CORS', () => {
  it('answers a preflight for POST /v1/deploy with 204 and the deploy token headers allowed', async () => {
    const response = await app().request('/v1/deploy', {
      method: 'OPTIONS',
      headers: { Origin: 'https://dashboard.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-deploy-token' },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('access-control-allow-methods')?.split(',')).toEqual(expect.arrayContaining(['GET', 'POST', 'OPTIONS']))
    const allowed = response.headers.get('access-control-allow-headers')?.toLowerCase().split(',')
    expect(allowed).toEqual(expect.arrayContaining(['x-deploy-token', 'authorization', 'content-type', 'accept', 'prefer']))
    expect(response.headers.get('access-control-max-age')).toBe('86400')
    expect(await response.text()).toBe('')
  })

  it('lets a page read the answers, errors included, and the deployment id header', async () => {
    const refused = await app().request('/v1/deploy', { method: 'POST', headers: { Origin: 'https://dashboard.example' } })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('access-control-allow-origin')).toBe('*')
    expect(refused.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('x-deployment-id')
    const page = await app().request('/', { headers: { Origin: 'https://dashboard.example' } })
    expect(page.headers.get('access-control-allow-origin')).toBe('*')
  })
})

describe('body limit', () => {
  const deploy = (body: BodyInit, headers: Record<string, string> = {}) =>
    app().request('/v1/deploy', { method: 'POST', body, headers: { 'X-Deploy-Token': 'v4.public.x', ...headers }, duplex: 'half' } as RequestInit)

  it('refuses a declared body over 1 MiB with 413 before looking at the token', async () => {
    const response = await deploy('x'.repeat(DEPLOY_BODY_LIMIT_BYTES + 1))
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({ error: 'payload_too_large', message: `the request body is larger than ${DEPLOY_BODY_LIMIT_BYTES} bytes` })
  })

  it('counts a chunked body that declares no length', async () => {
    const chunk = new Uint8Array(256 * 1024)
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > DEPLOY_BODY_LIMIT_BYTES) return controller.close()
        sent += chunk.length
        controller.enqueue(chunk)
      },
    })
    const response = await deploy(body)
    expect(response.status).toBe(413)
    expect((await response.json()) as unknown).toMatchObject({ error: 'payload_too_large' })
  })

  it('lets a body at the limit through to authentication', async () => {
    const response = await deploy('x'.repeat(DEPLOY_BODY_LIMIT_BYTES))
    expect(response.status).toBe(401)
  })

  it('takes the limit as a parameter, for the webhook routes that need more', async () => {
    const small = new Hono()
      .use(requestBodyLimit(10))
      .post('/', async (c) => c.text(await c.req.text()))
      .onError((error, c) => c.text(error.message, 413))
    expect((await small.request('/', { method: 'POST', body: '0123456789' })).status).toBe(200)
    expect((await small.request('/', { method: 'POST', body: '0123456789a' })).status).toBe(413)
    expect(() => requestBodyLimit(-1)).toThrow(RangeError)
  })
})
