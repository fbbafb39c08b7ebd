import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer as createHttpServer, type Server } from 'node:http'
import { connect, createServer as createNetServer, type Server as NetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../agent/config.ts'
import { EngineClient } from '../../agent/docker/engine.ts'
import { EngineError } from '../../agent/docker/errors.ts'
import { parseDockerHost } from '../../agent/docker/host.ts'
import { startAgent } from '../../agent/server.ts'
import { silentLogger } from '../../src/ports.ts'
import { dockerHost, waitFor } from '../support/harness.ts'

let dir: string
const closers: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dh-unreachable-'))
})

afterAll(async () => {
  for (const close of closers.reverse()) await close()
  await rm(dir, { recursive: true, force: true })
})

function clientFor(socketPath: string): EngineClient {
  const client = new EngineClient({ kind: 'unix', socketPath, description: `unix://${socketPath}` }, { connectTimeoutMs: 1000, requestTimeoutMs: 2000 })
  closers.push(() => client.close())
  return client
}

/** A socket file left behind by a daemon that died: the path exists, nothing listens. */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`])
  await once(child, 'exit')
  expect(existsSync(path)).toBe(true)
}

async function agentHealth(socketPath: string): Promise<{ status: number; body: { status: string; reason?: string } }> {
  const config = loadConfig({ PORT: '0', DATA_DIR: join(dir, 'data'), DOCKER_HOST: `unix://${socketPath}` })
  const agent = await startAgent(config, silentLogger)
  try {
    const response = await fetch(`${agent.url}/healthz`)
    return { status: response.status, body: (await response.json()) as { status: string; reason?: string } }
  } finally {
    await agent.close()
  }
}

describe('an Engine that cannot be reached', () => {
  it('a socket path that does not exist → unreachable, /healthz 503 with the reason', async () => {
    const path = join(dir, 'missing.sock')
    const error = await clientFor(path).ping().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EngineError)
    expect((error as EngineError).code).toBe('unreachable')
    expect((error as EngineError).engineMessage).toMatch(/socket does not exist/)

    const health = await agentHealth(path)
    expect(health.status).toBe(503)
    expect(health.body).toEqual({ status: 'unavailable', reason: expect.stringMatching(/socket does not exist/) })
  })

  it('a stopped daemon (stale socket, nothing listening) → unreachable, connection refused', async () => {
    const path = join(dir, 'stale.sock')
    await staleSocket(path)
    const error = await clientFor(path).listContainers().catch((e: unknown) => e)
    expect((error as EngineError).code).toBe('unreachable')
    expect((error as EngineError).engineMessage).toMatch(/connection refused/)
    expect((await agentHealth(path)).status).toBe(503)
  })

  it('a socket where a non-Docker HTTP server answers → not-an-engine', async () => {
    const path = join(dir, 'web.sock')
    const server: Server = createHttpServer((req, res) => res.writeHead(req.url === '/_ping' ? 200 : 404).end(req.url === '/_ping' ? 'pong' : 'nope'))
    server.listen(path)
    await once(server, 'listening')
    closers.push(() => new Promise((resolve) => server.close(resolve)))

    const error = await clientFor(path).inspectContainer('web').catch((e: unknown) => e)
    expect((error as EngineError).code).toBe('not-an-engine')
    const health = await agentHealth(path)
    expect(health.status).toBe(503)
    expect(health.body.reason).toMatch(/not as a Docker Engine/)
  })

  it('a socket that closes every connection → unreachable, no crash', async () => {
    const path = join(dir, 'rude.sock')
    const server: NetServer = createNetServer((socket) => socket.destroy())
    server.listen(path)
    await once(server, 'listening')
    closers.push(() => new Promise((resolve) => server.close(resolve)))
    const error = await clientFor(path).ping().catch((e: unknown) => e)
    expect((error as EngineError).code).toBe('unreachable')
  })

  it('the agent starts without an Engine and recovers by itself when it comes back', async () => {
    const path = join(dir, 'later.sock')
    const config = loadConfig({ PORT: '0', DATA_DIR: join(dir, 'data'), DOCKER_HOST: `unix://${path}` })
    const agent = await startAgent(config, silentLogger)
    closers.push(() => agent.close())
    expect((await fetch(`${agent.url}/healthz`)).status).toBe(503)

    // "The Engine comes back": a relay at that path to the real Engine's socket.
    const engineSocket = parseDockerHost({ dockerHost: dockerHost() })
    if (engineSocket.kind !== 'unix') throw new Error('these tests need the Engine on a unix socket')
    const relay = createNetServer((client) => {
      const upstream = connect(engineSocket.socketPath)
      client.pipe(upstream).pipe(client)
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
    relay.listen(path)
    await once(relay, 'listening')
    closers.push(() => new Promise((resolve) => relay.close(resolve)))

    const recovered = await waitFor(async () => {
      const response = await fetch(`${agent.url}/healthz`)
      return response.status === 200 ? ((await response.json()) as { engine: string }) : undefined
    })
    expect(recovered.engine).toMatch(/^Docker Engine API 1\.\d+$/)
  })
})

describe('the agent entry', () => {
  function runAgent(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
    const child = spawn(process.execPath, ['agent/main.ts'], { env: { PATH: process.env.PATH ?? '', HOME: dir, DATA_DIR: join(dir, 'entry-data'), ...env } })
    let stderr = ''
    let stdout = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    return once(child, 'exit').then(([code]) => ({ code: code as number | null, stderr, stdout }))
  }

  it('stops with exit code 2 and a clear message for a DOCKER_HOST with an unknown scheme', async () => {
    const result = await runAgent({ DOCKER_HOST: 'ssh://deploy@example' })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/DOCKER_HOST ssh:\/\/deploy@example: unsupported scheme "ssh"/)
    expect(result.stderr).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('stops with exit code 2 naming the variable for a bad value', async () => {
    const result = await runAgent({ PORT: 'eighty', DEPLOY_CONCURRENCY: '0' })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/PORT: expected a whole number/)
    expect(result.stderr).toMatch(/DEPLOY_CONCURRENCY: expected a whole number from 1/)
  })

  it('creates the data directory 0700, serves, and exits 0 on SIGTERM', async () => {
    const dataDir = join(dir, 'fresh', 'data')
    const child = spawn(process.execPath, ['agent/main.ts'], { env: { PATH: process.env.PATH ?? '', PORT: '0', DATA_DIR: dataDir, DOCKER_HOST: dockerHost(), WORKERS: '4' } })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const url = await waitFor(() => /listening url=(\S+)/.exec(output)?.[1])
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    const { statSync } = await import('node:fs')
    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
    expect(output).toMatch(/WORKERS is ignored/)
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
  })
})

describe('a file where the socket should be', () => {
  it('is reported as unreachable, not as a crash', async () => {
    const path = join(dir, 'plain-file.sock')
    await writeFile(path, 'not a socket')
    const error = await clientFor(path).ping().catch((e: unknown) => e)
    expect((error as EngineError).code).toBe('unreachable')
  })
})
