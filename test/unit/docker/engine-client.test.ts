import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { EngineClient } from '../../../agent/docker/engine.ts'
import { EngineError } from '../../../agent/docker/errors.ts'
import { DockerHostError, parseDockerHost } from '../../../agent/docker/host.ts'
import { jsonLines } from '../../../agent/docker/json-lines.ts'
import { encodeRegistryAuth } from '../../../agent/docker/registry-auth.ts'

/*
 * The client against a scripted Engine on a unix socket: for the protocol details a real Engine
 * only shows in rare situations (an error in the middle of a pull stream, an ancient API).
 */
const servers: { server: Server; dir: string }[] = []
afterEach(async () => {
  for (const { server, dir } of servers.splice(0)) {
    await new Promise((resolve) => server.close(resolve))
    await rm(dir, { recursive: true, force: true })
  }
})

async function fakeEngine(apiVersion: string, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ client: EngineClient; seen: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'dh-fake-engine-'))
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['x-registry-auth'] ?? ''}`.trim())
    if (req.url === '/_ping') return res.writeHead(200, { 'api-version': apiVersion }).end('OK')
    handle(req, res)
  })
  const socketPath = join(dir, 'engine.sock')
  server.listen(socketPath)
  await once(server, 'listening')
  servers.push({ server, dir })
  return { client: new EngineClient({ kind: 'unix', socketPath, description: `unix://${socketPath}` }), seen }
}

describe('EngineClient protocol handling', () => {
  it('fails a pull whose 200 stream carries an errorDetail line, after surfacing progress', async () => {
    const { client } = await fakeEngine('1.45', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"status":"Pulling from demo/app","id":"v2"}\r\n{"status":"Downloading","progressDetail":{"current":1,"total":2},"progress":"[=>  ]","id":"abc"}\r\n')
      res.end('{"errorDetail":{"message":"unknown blob"},"error":"unknown blob"}\r\n')
    })
    const progress: string[] = []
    const error = await client.pullImage('127.0.0.1:5000/demo/app', 'v2', { onProgress: (p) => progress.push(p.status) }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EngineError)
    expect((error as EngineError).code).toBe('stream')
    expect((error as EngineError).engineMessage).toBe('unknown blob')
    expect(progress).toEqual(['Pulling from demo/app', 'Downloading'])
    await client.close()
  })

  it('uses the Engine maximum when it is older than the client, on every path', async () => {
    const { client, seen } = await fakeEngine('1.43', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'))
    await client.listContainers({ all: true })
    expect(await client.apiVersion()).toBe('1.43')
    expect(seen.at(-1)).toBe('GET /v1.43/containers/json?all=true')
    await client.close()
  })

  it('refuses an Engine older than API 1.41 with a clear message', async () => {
    const { client } = await fakeEngine('1.40', (_req, res) => res.writeHead(500).end())
    const error = await client.listContainers().catch((e: unknown) => e)
    expect((error as EngineError).code).toBe('unsupported-version')
    expect((error as EngineError).message).toMatch(/API 1\.40, but dockhook needs at least 1\.41/)
    await client.close()
  })

  it('reports an answer that is not the expected shape as a protocol error', async () => {
    const { client } = await fakeEngine('1.41', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"Id": 42}'))
    const error = await client.inspectContainer('x').catch((e: unknown) => e)
    expect((error as EngineError).code).toBe('protocol')
    expect((error as EngineError).message).toMatch(/unexpected answer from the Engine \(Id:/)
    await client.close()
  })

  it('sends X-Registry-Auth as padded base64url JSON', async () => {
    const { client, seen } = await fakeEngine('1.41', (_req, res) => res.writeHead(200).end('{"status":"Status: Image is up to date"}\r\n'))
    await client.pullImage('127.0.0.1:5003/priv/app', 'v1', { auth: { username: 'alice', password: 's3cr:et?>', serveraddress: '127.0.0.1:5003' } })
    const header = seen.at(-1)?.split(' ')[2] ?? ''
    expect(header).toBe(encodeRegistryAuth({ username: 'alice', password: 's3cr:et?>', serveraddress: '127.0.0.1:5003' }))
    expect(header).not.toMatch(/[+/]/)
    expect(header.length % 4).toBe(0)
    const decoded = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'))
    expect(decoded.password).toBe('s3cr:et?>')
    expect(seen.at(-1)).toMatch(/fromImage=127\.0\.0\.1%3A5003%2Fpriv%2Fapp&tag=v1/)
    await client.close()
  })
})

describe('encodeRegistryAuth', () => {
  it('keeps padding and maps +/ to -_', () => {
    // In standard base64 this is eyJ1c2VybmFtZSI6ImEiLCJwYXNzd29yZCI6In5+fj8ifQ== ('+', '/'-free only after mapping).
    expect(encodeRegistryAuth({ username: 'a', password: '~~~?' })).toBe('eyJ1c2VybmFtZSI6ImEiLCJwYXNzd29yZCI6In5-fj8ifQ==')
    expect(encodeRegistryAuth({ username: 'a', password: 'b?' })).toBe('eyJ1c2VybmFtZSI6ImEiLCJwYXNzd29yZCI6ImI_In0=')
  })
})

describe('jsonLines', () => {
  it('splits \\r\\n-separated objects across chunk boundaries and keeps odd lines', async () => {
    async function* chunks() {
      yield '{"a":1}\r\n{"b"'
      yield ':2}\r\n\r\nnot json\r\n{"c":3}'
    }
    const lines = []
    for await (const line of jsonLines(chunks())) lines.push(line)
    expect(lines).toEqual([{ a: 1 }, { b: 2 }, { unparsable: 'not json' }, { c: 3 }])
  })
})

describe('parseDockerHost', () => {
  it('reads unix and tcp addresses', () => {
    expect(parseDockerHost({})).toMatchObject({ kind: 'unix', socketPath: '/var/run/docker.sock' })
    expect(parseDockerHost({ dockerHost: 'unix:///run/user/1000/docker.sock' })).toMatchObject({ kind: 'unix', socketPath: '/run/user/1000/docker.sock' })
    expect(parseDockerHost({ dockerHost: 'tcp://10.0.0.5:2375' })).toMatchObject({ kind: 'tcp', origin: 'http://10.0.0.5:2375' })
    expect(parseDockerHost({ dockerHost: 'tcp://docker' })).toMatchObject({ kind: 'tcp', origin: 'http://docker:2375' })
  })

  it('uses TLS client certificates from DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dh-certs-'))
    const { writeFile } = await import('node:fs/promises')
    for (const file of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(join(dir, file), file)
    const endpoint = parseDockerHost({ dockerHost: 'tcp://engine.example:2376', tlsVerify: '1', certPath: dir })
    expect(endpoint).toMatchObject({ kind: 'tcp', origin: 'https://engine.example:2376' })
    expect(endpoint.kind === 'tcp' && endpoint.tls?.cert.toString()).toBe('cert.pem')
    expect(() => parseDockerHost({ dockerHost: 'tcp://engine.example:2376', tlsVerify: '1', certPath: join(dir, 'nope') })).toThrow(/cannot be read/)
    expect(parseDockerHost({ dockerHost: 'tcp://engine.example:2376', tlsVerify: '0' })).toMatchObject({ origin: 'http://engine.example:2376' })
    await rm(dir, { recursive: true, force: true })
  })

  it('rejects unknown schemes and relative socket paths with a message for people', () => {
    expect(() => parseDockerHost({ dockerHost: 'ssh://me@host' })).toThrow(DockerHostError)
    expect(() => parseDockerHost({ dockerHost: 'ssh://me@host' })).toThrow(/unsupported scheme "ssh"/)
    expect(() => parseDockerHost({ dockerHost: 'docker.sock' })).toThrow(/unsupported scheme/)
    expect(() => parseDockerHost({ dockerHost: 'unix://docker.sock' })).toThrow(/absolute path/)
  })
})
