import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ContainerDirectory } from '../../../agent/docker/containers-by-name.ts'
import { EngineClient } from '../../../agent/docker/engine.ts'

/* The directory against a scripted Engine that counts list calls and can hold an answer back. */
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function scriptedEngine(containers: () => object[]) {
  const dir = await mkdtemp(join(tmpdir(), 'dh-directory-'))
  let lists = 0
  let hold: Promise<void> = Promise.resolve()
  const server: Server = createServer(async (req, res) => {
    if (req.url === '/_ping') return res.writeHead(200, { 'api-version': '1.45' }).end('OK')
    if (req.url?.includes('/containers/json')) {
      lists++
      const answer = JSON.stringify(containers())
      await hold
      return res.writeHead(200, { 'content-type': 'application/json' }).end(answer)
    }
    if (req.url?.includes('/containers/')) {
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Id: 'b'.repeat(64), Name: '/moved', Image: `sha256:${'c'.repeat(64)}`, State: { Status: 'running', Running: true }, Config: { Image: 'registry.example/app:live' }, HostConfig: {}, NetworkSettings: {} }))
    }
    res.writeHead(404).end()
  })
  const socketPath = join(dir, 'engine.sock')
  server.listen(socketPath)
  await once(server, 'listening')
  const engine = new EngineClient({ kind: 'unix', socketPath, description: socketPath })
  cleanups.push(async () => {
    await engine.close()
    await new Promise((resolve) => server.close(resolve))
    await rm(dir, { recursive: true, force: true })
  })
  return { engine, lists: () => lists, holdAnswers: (until: Promise<void>) => (hold = until) }
}

const summary = (name: string, image: string) => ({ Id: name.padEnd(64, '0'), Names: [`/${name}`], Image: image, State: 'running' })

describe('ContainerDirectory', () => {
  it('finds exact names only', async () => {
    const { engine } = await scriptedEngine(() => [summary('web', 'nginx'), summary('web-2', 'nginx'), summary('api', 'app:v1')])
    const found = await new ContainerDirectory(engine).byName(['web', 'db'])
    expect([...found.keys()]).toEqual(['web'])
  })

  it('serves a burst of lookups with few list calls, never from a list older than the lookup', async () => {
    let names = ['web']
    const { engine, lists, holdAnswers } = await scriptedEngine(() => names.map((n) => summary(n, 'nginx')))
    const directory = new ContainerDirectory(engine)
    let release!: () => void
    holdAnswers(new Promise((resolve) => (release = resolve)))
    const first = directory.byName(['web'])
    await new Promise((resolve) => setTimeout(resolve, 50)) // the first list call is now on its way
    names = ['web', 'late'] // created after that call started
    const burst = Array.from({ length: 20 }, () => directory.byName(['late']))
    release()
    expect((await first).has('web')).toBe(true)
    for (const found of await Promise.all(burst)) expect(found.has('late')).toBe(true)
    expect(lists()).toBe(2) // one for the first lookup, one shared by the twenty that came later
  })

  it('gives the user’s image reference, inspecting only when the list shows an image ID', async () => {
    const { engine } = await scriptedEngine(() => [summary('web', '127.0.0.1:5000/app:live'), summary('moved', `sha256:${'c'.repeat(64)}`)])
    const references = await new ContainerDirectory(engine).imageReferences(['web', 'moved', 'absent'])
    expect(Object.fromEntries(references)).toEqual({ web: '127.0.0.1:5000/app:live', moved: 'registry.example/app:live' })
  })
})
