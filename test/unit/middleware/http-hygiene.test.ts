import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { requestBodyLimit } from '../../../src/middleware/http-hygiene.ts'

const LIMIT = 10

function app() {
  return new Hono()
    .use(requestBodyLimit(LIMIT))
    .post('/', async (c) => c.text(await c.req.text()))
    .onError((error, c) => c.text(error.message, 413))
}

/** A request whose `body` reports when it is touched, as @hono/node-server pays for it. */
function watched(body: string, headers: Record<string, string>): { request: Request; touched: () => boolean } {
  const request = new Request('http://localhost/', { method: 'POST', body, headers })
  const original = Object.getOwnPropertyDescriptor(Request.prototype, 'body')!
  let touched = false
  Object.defineProperty(request, 'body', {
    get() {
      touched = true
      return original.get!.call(request)
    },
  })
  return { request, touched: () => touched }
}

describe('requestBodyLimit', () => {
  it('judges a body with Content-Length by the header alone, without touching the body', async () => {
    const small = watched('0123456789', { 'content-length': '10' })
    const answer = await app().request(small.request)
    expect(answer.status).toBe(200)
    expect(await answer.text()).toBe('0123456789')
    // The handler read it; the limit did not (it would have read it before the handler).
    const refused = watched('0123456789a', { 'content-length': '11' })
    expect((await app().request(refused.request)).status).toBe(413)
    expect(refused.touched()).toBe(false)
  })

  it('counts a body without Content-Length, or one sent chunked', async () => {
    for (const headers of [{}, { 'transfer-encoding': 'chunked', 'content-length': '1' }] as Record<string, string>[]) {
      const over = watched('0123456789a', headers)
      expect((await app().request(over.request)).status).toBe(413)
      expect(over.touched()).toBe(true)
      expect((await app().request(watched('0123456789', headers).request)).status).toBe(200)
    }
  })
})
