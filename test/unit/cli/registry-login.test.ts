import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { checkRegistryLogin, parseChallenge } from '../../../agent/cli/registry-login.ts'

describe('parseChallenge', () => {
  it('reads Docker Hub\'s bearer challenge', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io' },
    })
  })

  it('keeps commas inside quotes, unescapes, takes bare tokens and ignores spacing', () => {
    expect(parseChallenge('Bearer realm = "https://x/t?a=1,b=2" , service=reg, scope="repository:a\\"b:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://x/t?a=1,b=2', service: 'reg', scope: 'repository:a"b:pull' },
    })
  })

  it('reads a basic challenge and nothing from an empty header', () => {
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } })
    expect(parseChallenge('')).toBeUndefined()
    expect(parseChallenge(null)).toBeUndefined()
  })
})

/*
 * Registries played by a local HTTP server: the flows `docker login` walks through. The real htpasswd
 * registry (Basic) is exercised in test/integration/cli.test.ts.
 */
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function serve(handle: (req: IncomingMessage, res: ServerResponse, origin: string) => void): Promise<{ host: string; seen: string[] }> {
  const seen: string[] = []
  let origin = ''
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`)
    handle(req, res, origin)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  origin = `http://${host}`
  closers.push(() => new Promise((resolve) => server.close(() => resolve())))
  return { host, seen }
}

const USER = { username: 'ci-bot', password: 'pa:ss:word' }
const basicOf = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`

function tokenRegistry(req: IncomingMessage, res: ServerResponse, origin: string): void {
  const url = new URL(req.url ?? '/', origin)
  if (url.pathname === '/v2/') {
    res.writeHead(401, { 'www-authenticate': `Bearer realm="${origin}/token",service="test-registry"` }).end()
  } else if (url.pathname === '/token') {
    const good = req.headers.authorization === basicOf(USER.username, USER.password) && url.searchParams.get('service') === 'test-registry'
    res.writeHead(good ? 200 : 401, { 'content-type': 'application/json' }).end(good ? '{"token":"t"}' : '{"details":"incorrect username or password"}')
  } else {
    res.writeHead(404).end()
  }
}

describe('checkRegistryLogin', () => {
  it('follows the bearer realm with the credentials (a colon in the password survives)', async () => {
    const { host, seen } = await serve(tokenRegistry)
    expect(await checkRegistryLogin(host, USER)).toEqual({ ok: true, outcome: 'accepted' })
    expect(seen).toContain(`GET /token?service=test-registry&account=ci-bot ${basicOf(USER.username, USER.password)}`)
  })

  it('reports a rejected password without repeating it', async () => {
    const { host } = await serve(tokenRegistry)
    const result = await checkRegistryLogin(host, { username: 'ci-bot', password: 'wrong:one' })
    expect(result).toMatchObject({ ok: false, outcome: 'rejected' })
    expect(JSON.stringify(result)).not.toContain('wrong:one')
  })

  it('answers a basic challenge on /v2/ itself', async () => {
    const { host } = await serve((req, res) => {
      const good = req.headers.authorization === basicOf(USER.username, USER.password)
      res.writeHead(good ? 200 : 401, { 'www-authenticate': 'Basic realm="Registry Realm"' }).end('{}')
    })
    expect(await checkRegistryLogin(host, USER)).toEqual({ ok: true, outcome: 'accepted' })
    expect(await checkRegistryLogin(host, { ...USER, password: 'nope' })).toMatchObject({ ok: false, outcome: 'rejected' })
  })

  it('says so when the registry needs no login at all', async () => {
    const { host } = await serve((_, res) => res.writeHead(200).end('{}'))
    expect(await checkRegistryLogin(host, USER)).toEqual({ ok: true, outcome: 'open' })
  })

  it('does not send the password to a plain-HTTP token service on another machine', async () => {
    const { host, seen } = await serve((_, res) => res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://auth.example.invalid/token",service="x"' }).end())
    const result = await checkRegistryLogin(host, USER)
    expect(result).toMatchObject({ ok: false, outcome: 'unverified' })
    expect(seen.every((line) => line.endsWith(' -'))).toBe(true)
  })

  it('reports an unreachable registry as unverified, not as rejected', async () => {
    const { host } = await serve((_, res) => res.end())
    await closers.pop()?.()
    const result = await checkRegistryLogin(host, USER, { timeoutMs: 2_000 })
    expect(result).toMatchObject({ ok: false, outcome: 'unverified' })
    if (!result.ok) expect(result.message).toMatch(/cannot reach the registry/)
  })

  it('tries only HTTPS for a registry that is not on this machine', async () => {
    const urls: string[] = []
    const fakeFetch: typeof fetch = async (input) => {
      urls.push(String(input))
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }) })
    }
    const result = await checkRegistryLogin('registry.example.com:5000', USER, { fetch: fakeFetch })
    expect(urls).toEqual(['https://registry.example.com:5000/v2/'])
    expect(result).toMatchObject({ ok: false, outcome: 'unverified' })
  })

  it('talks to registry-1.docker.io for Docker Hub', async () => {
    const urls: string[] = []
    const fakeFetch: typeof fetch = async (input) => {
      urls.push(String(input))
      return new Response(null, { status: 200 })
    }
    await checkRegistryLogin('docker.io', USER, { fetch: fakeFetch })
    expect(urls).toEqual(['https://registry-1.docker.io/v2/'])
  })
})
