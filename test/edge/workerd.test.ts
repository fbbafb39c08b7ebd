/**
 * The edge entry (src/edge.ts) served by the real Workers runtime: `wrangler dev` runs it in workerd,
 * and the requests below go through workerd to a fake agent on this host. Proves that src/ runs
 * without nodejs_compat and that the health relay works there.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSecretPaserk, importSigningKey, type SigningKey } from '../../src/tokens/keys.ts'
import { mintToken } from '../../src/tokens/mint.ts'
import { waitFor } from '../support/harness.ts'
import { freePort } from '../support/process.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
// The script behind node_modules/.bin/wrangler, run with this Node: the shim's `env node` may find an older one.
const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js')
// Bundling plus workerd start-up takes ~3 s here; a cold CI machine gets ample room.
const READY_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 5_000
const MAX_OUTPUT = 20_000

type AgentMode = 'healthy' | 'engine-down'

/** A stand-in for the Node agent: answers /healthz like the real one and records what it was asked. */
class FakeAgent {
  mode: AgentMode = 'healthy'
  readonly requests: string[] = []
  readonly server: Server = createServer((req, res) => {
    this.requests.push(`${req.method} ${req.url}`)
    if (req.url !== '/healthz') return void res.writeHead(404).end()
    const [status, body] =
      this.mode === 'healthy'
        ? [200, { status: 'ok', engine: 'Docker Engine API 1.41' }]
        : [503, { status: 'unavailable', reason: 'connect ENOENT /var/run/docker.sock' }]
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  })

  async listen(port = 0): Promise<number> {
    this.server.listen(port, '127.0.0.1')
    await once(this.server, 'listening')
    return (this.server.address() as AddressInfo).port
  }

  async stop(): Promise<void> {
    const closed = once(this.server, 'close')
    this.server.close()
    // workerd keeps its connection alive; without this close() waits for it.
    this.server.closeAllConnections()
    await closed
  }
}

/** Stops wrangler and the workerd processes it started: they share the process group it leads. */
async function stopGroup(child: ChildProcess): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
    }
  }
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit')
    signalGroup('SIGTERM')
    const timer = setTimeout(() => signalGroup('SIGKILL'), STOP_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
  }
  // wrangler may exit before a workerd child has; nothing of the group may outlive the test.
  signalGroup('SIGKILL')
}

describe('the edge app in workerd (wrangler dev)', () => {
  const agent = new FakeAgent()
  let agentPort: number
  let base: string
  let wrangler: ChildProcess | undefined
  let output = ''
  let tempDir: string | undefined

  let signer: SigningKey
  let stranger: SigningKey

  beforeAll(async () => {
    signer = await importSigningKey(await generateSecretPaserk())
    stranger = await importSigningKey(await generateSecretPaserk())
    agentPort = await agent.listen()
    const [port, inspectorPort] = [await freePort(), await freePort()]
    base = `http://127.0.0.1:${port}`
    tempDir = await mkdtemp(join(tmpdir(), 'dockhook-edge-'))

    wrangler = spawn(
      process.execPath,
      [
        WRANGLER,
        'dev',
        '--config', join(ROOT, 'wrangler.toml'),
        '--ip', '127.0.0.1',
        '--port', String(port),
        '--inspector-port', String(inspectorPort),
        '--var', `AGENT_URL:http://127.0.0.1:${agentPort}`,
        '--var', `PUBLIC_KEYS:${signer.publicKey}`,
        '--persist-to', join(tempDir, 'state'),
        '--show-interactive-dev-session=false',
        '--log-level', 'warn',
      ],
      {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          CI: 'true',
          WRANGLER_SEND_METRICS: 'false',
          WRANGLER_SEND_ERROR_REPORTS: 'false',
          // The Request.cf object comes from workers.cloudflare.com; the app does not use it.
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
          // No account, no login, no user config: a fresh XDG home for wrangler's own files.
          XDG_CONFIG_HOME: join(tempDir, 'config'),
        },
      },
    )
    const collect = (chunk: Buffer): void => {
      if (output.length < MAX_OUTPUT) output += chunk.toString('utf8')
    }
    wrangler.stdout!.on('data', collect)
    wrangler.stderr!.on('data', collect)

    const exited = once(wrangler, 'exit').then(([code, signal]) => {
      throw new Error(`wrangler dev exited (${code ?? signal}) before serving:\n${output}`)
    })
    // wrangler's proxy may answer before the Worker is loaded; the app's own 404 means it is.
    const served = waitFor(
      async () => {
        const response = await fetch(`${base}/nope`)
        await response.body?.cancel()
        return response.status === 404
      },
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 200 },
    )
    try {
      await Promise.race([served, exited])
    } catch (error) {
      throw new Error(`wrangler dev did not serve within ${READY_TIMEOUT_MS} ms:\n${output}`, { cause: error })
    } finally {
      exited.catch(() => {})
    }
  }, READY_TIMEOUT_MS + 10_000)

  afterAll(async () => {
    if (wrangler) await stopGroup(wrangler)
    if (agent.server.listening) await agent.stop()
    if (tempDir) await rm(tempDir, { recursive: true, force: true })
  })

  it('relays /healthz to the agent: 200 while the agent answers 200', async () => {
    agent.requests.length = 0
    const response = await fetch(`${base}/healthz`)
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toEqual({ status: 'ok', engine: 'agent up, Docker Engine API 1.41' })
    expect(agent.requests).toEqual(['GET /healthz'])
  })

  it("answers 503 with the agent's reason when the agent reports its Engine down", async () => {
    agent.mode = 'engine-down'
    try {
      const response = await fetch(`${base}/healthz`)
      expect(response.status).toBe(503)
      expect(await response.json()).toEqual({
        status: 'unavailable',
        reason: 'the agent answered 503: connect ENOENT /var/run/docker.sock',
      })
    } finally {
      agent.mode = 'healthy'
    }
  })

  it('answers 503 with a reason, and without the agent URL, when the agent is stopped', async () => {
    await agent.stop()
    try {
      const response = await fetch(`${base}/healthz`)
      expect(response.status).toBe(503)
      const body = await response.text()
      expect(JSON.parse(body)).toEqual({ status: 'unavailable', reason: 'the agent is unreachable' })
      expect(body).not.toContain(String(agentPort))
    } finally {
      await agent.listen(agentPort)
    }
  })

  it('verifies deploy tokens with the PUBLIC_KEYS it was given (paseto in workerd)', async () => {
    const token = async (key: SigningKey) => (await mintToken({ containerNames: ['web'], action: 'restart', cleanup: false, expiresIn: 600 }, key, new Date())).token
    const deploy = (headers: Record<string, string>) => fetch(`${base}/v1/deploy`, { method: 'POST', headers })

    const valid = await deploy({ 'x-deploy-token': await token(signer) })
    expect(valid.status).toBe(501) // verified; relaying deploys from the edge is not built yet
    expect(await valid.json()).toMatchObject({ error: 'not_implemented' })

    const foreign = await deploy({ 'x-deploy-token': await token(stranger) })
    expect(foreign.status).toBe(401)
    expect(await foreign.json()).toMatchObject({ error: 'unknown_key' })

    const good = await token(signer)
    const tampered = `${good.slice(0, 30)}${good[30] === 'A' ? 'B' : 'A'}${good.slice(31)}`
    expect(((await (await deploy({ authorization: `Bearer ${tampered}` })).json()) as { error: string }).error).toMatch(/bad_signature|malformed|invalid_claims/)
    expect(((await (await deploy({})).json()) as { error: string }).error).toBe('missing')
  })

  it("answers an unknown path with the app's JSON 404", async () => {
    const response = await fetch(`${base}/nope`)
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await response.json()).toEqual({ error: 'not_found', message: 'no route for GET /nope' })
  })
})
