import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import {
  CommandError,
  baseImage,
  buildImage,
  cleanup,
  createNetwork,
  createVolume,
  docker,
  hostAddress,
  httpGet,
  isNoSuchObject,
  privateRegistry,
  registry,
  runContainer,
  startRegistry,
  trackImage,
  uniqueName,
  waitFor,
} from '../support/harness.ts'

afterAll(cleanup)

async function exists(kind: 'container' | 'network' | 'volume' | 'image', name: string): Promise<boolean> {
  try {
    await docker([kind, 'inspect', name])
    return true
  } catch (error) {
    if (isNoSuchObject(error)) return false
    throw error
  }
}

describe('test harness', () => {
  it('builds an image, pushes it to the plain registry and pulls it back after removing it', async () => {
    const ref = `${registry()}/${uniqueName('harness')}:v1`
    const id = await buildImage(ref, { content: 'hello v1', push: true })
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/)

    await docker(['rmi', ref])
    expect(await exists('image', ref)).toBe(false)
    await docker(['pull', ref])
    trackImage(ref)
    expect((await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).trim()).toBe(id)

    const { name } = await runContainer({ image: ref, args: ['-p', '127.0.0.1::80'] })
    const address = await hostAddress(name)
    expect(await waitFor(() => httpGet(`http://${address}/`), { timeoutMs: 10_000 })).toBe('hello v1')
  })

  it('applies env, labels, volumes and a healthcheck to built images', async () => {
    const ref = uniqueName('options')
    await buildImage(ref, {
      env: ['GREETING=hello world', 'EMPTY='],
      labels: { 'org.example.role': 'web "front"' },
      volumes: ['/data'],
      healthcheck: '--interval=1s --timeout=2s CMD wget -q -O /dev/null http://127.0.0.1/',
    })
    const config = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .Config}}', ref])) as {
      Env: string[]
      Labels: Record<string, string>
      Volumes: Record<string, unknown>
      Healthcheck: { Test: string[] }
    }
    expect(config.Env).toEqual(expect.arrayContaining(['GREETING=hello world', 'EMPTY=']))
    expect(config.Labels).toEqual({ 'org.example.role': 'web "front"' })
    expect(Object.keys(config.Volumes)).toEqual(['/data'])
    expect(config.Healthcheck.Test).toEqual(['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1/'])

    const { name } = await runContainer({ image: ref })
    const health = () => docker(['inspect', '--format', '{{.State.Health.Status}}', name]).then((s) => s.trim())
    await waitFor(async () => (await health()) === 'healthy', { timeoutMs: 20_000, intervalMs: 250 })
    expect((await docker(['exec', name, 'sh', '-c', 'echo "$GREETING"'])).trim()).toBe('hello world')
  })

  it('stops the default httpd at once on SIGTERM', async () => {
    const { name } = await runContainer({ image: baseImage() })
    const started = Date.now()
    await docker(['stop', name])
    expect(Date.now() - started).toBeLessThan(5_000)
    expect((await docker(['inspect', '--format', '{{.State.ExitCode}}', name])).trim()).toBe('0')
  })

  it('cleanup removes containers with their anonymous volumes, networks, volumes and images', async () => {
    const image = uniqueName('cleanup')
    const replaced = await buildImage(image, { content: 'v1' })
    await buildImage(image, { volumes: ['/data'] })
    expect((await docker(['image', 'inspect', '--format', '{{.RepoTags}}', replaced])).trim()).toBe('[]')
    const network = await createNetwork()
    const volume = await createVolume()
    const { name } = await runContainer({ image, args: ['--network', network, '-v', `${volume}:/named`] })
    const mounts = JSON.parse(await docker(['inspect', '--format', '{{json .Mounts}}', name])) as { Name: string; Destination: string }[]
    const anonymous = mounts.find((m) => m.Destination === '/data')?.Name
    expect(anonymous).toBeTruthy()

    await cleanup()

    expect(await exists('container', name)).toBe(false)
    expect(await exists('volume', anonymous ?? '')).toBe(false)
    expect(await exists('volume', volume)).toBe(false)
    expect(await exists('network', network)).toBe(false)
    expect(await exists('image', image)).toBe(false)
    expect(await exists('image', replaced)).toBe(false)
    await expect(cleanup()).resolves.toBeUndefined()
  })
})

describe('extra registries', () => {
  it('sends push notifications to the given endpoint, with its headers', async () => {
    const received: { type: string | undefined; authorization: string | undefined; body: string }[] = []
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        received.push({ type: req.headers['content-type'], authorization: req.headers.authorization, body })
        res.end()
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const { port } = server.address() as AddressInfo
      const extra = await startRegistry({
        notifications: { url: `http://127.0.0.1:${port}/hook`, headers: { Authorization: 'Bearer t0ken' } },
      })
      const repository = uniqueName('notified')
      await buildImage(`${extra.host}/${repository}:v1`, { push: true })

      const pushedManifest = (r: (typeof received)[number]) => {
        const { events } = JSON.parse(r.body) as { events: { action: string; target: { repository: string; tag?: string } }[] }
        return events.some((e) => e.action === 'push' && e.target.repository === repository && e.target.tag === 'v1')
      }
      const pushed = await waitFor(() => received.find(pushedManifest))
      expect(pushed.type).toBe('application/vnd.docker.distribution.events.v1+json')
      expect(pushed.authorization).toBe('Bearer t0ken')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})

describe('private registry', () => {
  it('answers /v2/ with 401 without credentials and 200 for alice, whose password has a colon', async () => {
    const { host, username, password } = privateRegistry()
    expect(password).toContain(':')
    const basic = (user: string, pass: string) => ({ authorization: `Basic ${btoa(`${user}:${pass}`)}` })

    const anonymous = await fetch(`http://${host}/v2/`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/)
    expect((await fetch(`http://${host}/v2/`, { headers: basic(username, password) })).status).toBe(200)
    expect((await fetch(`http://${host}/v2/`, { headers: basic(username, password.split(':')[0] ?? '') })).status).toBe(401)
  })

  it('refuses an unauthenticated pull through the Engine', async () => {
    const ref = `${privateRegistry().host}/${uniqueName('priv')}:v1`
    const pull = docker(['pull', ref])
    await expect(pull).rejects.toBeInstanceOf(CommandError)
    await expect(pull).rejects.toThrow(/no basic auth credentials/)
  })
})

describe('Docker Engine', () => {
  it('speaks the API version CI expects (DOCKHOOK_EXPECT_API)', async () => {
    const reported = (await docker(['version', '--format', '{{.Server.APIVersion}}'])).trim()
    expect(reported).toMatch(/^1\.\d+$/)
    expect(Number(reported.split('.')[1])).toBeGreaterThanOrEqual(41)
    const expected = process.env['DOCKHOOK_EXPECT_API']
    // Unset outside CI: any Engine this project supports will do there.
    expect(reported).toBe(expected || reported)
  })
})
