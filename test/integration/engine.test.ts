import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_API_VERSION, negotiateApiVersion } from '../../agent/docker/api-version.ts'
import { EngineClient } from '../../agent/docker/engine.ts'
import { EngineError } from '../../agent/docker/errors.ts'
import { parseDockerHost } from '../../agent/docker/host.ts'
import type { PullProgress } from '../../agent/docker/types.ts'
import { baseImage, buildImage, cleanup, createNetwork, docker, dockerHost, privateRegistry, registry, trackContainer, trackImage, uniqueName } from '../support/harness.ts'

let engine: EngineClient

beforeAll(() => {
  engine = new EngineClient(parseDockerHost({ dockerHost: dockerHost() }))
})

afterAll(async () => {
  await engine.close()
  await cleanup()
})

describe('API version negotiation', () => {
  it('uses min(Engine max, client max) and pins it on every path', async () => {
    const { ApiVersion } = await engine.version()
    const version = await engine.apiVersion()
    expect(version).toBe(negotiateApiVersion(ApiVersion, MAX_API_VERSION))
    // CI runs this file on Engine 20.10 (API 1.41) and again on Engine 26.1 (API 1.45).
    if (process.env.DOCKHOOK_EXPECT_API) expect(version).toBe(process.env.DOCKHOOK_EXPECT_API)
    expect(await engine.ping()).toBe(version)
  })

  it('refuses an Engine older than 1.41, and caps at the client maximum', () => {
    expect(negotiateApiVersion('1.45', '1.41')).toBe('1.41')
    expect(negotiateApiVersion('1.41', '1.51')).toBe('1.41')
    expect(negotiateApiVersion('1.99', '1.51')).toBe('1.51')
  })
})

describe('container round trips', () => {
  it('creates, lists, inspects, starts, stops, restarts, renames, connects and removes', async () => {
    const name = uniqueName('rt')
    trackContainer(name)
    const created = await engine.createContainer({ name, body: { Image: baseImage(), Labels: { 'dockhook.test': name } } })
    expect(created.Id).toMatch(/^[0-9a-f]{64}$/)

    const inspected = await engine.inspectContainer(name)
    expect(inspected?.Id).toBe(created.Id)
    expect(inspected?.Name).toBe(`/${name}`)
    expect(inspected?.State.Status).toBe('created')
    expect(inspected?.Config.Image).toBe(baseImage())

    const listed = await engine.listContainers({ all: true, filters: { label: [`dockhook.test=${name}`] } })
    expect(listed.map((c) => c.Id)).toEqual([created.Id])
    expect(listed[0]?.Names).toEqual([`/${name}`])

    expect(await engine.startContainer(created.Id)).toBe('started')
    expect(await engine.startContainer(created.Id)).toBe('already-started')
    expect((await engine.inspectContainer(created.Id))?.State.Running).toBe(true)

    const startedAt = (await engine.inspectContainer(created.Id))?.State.StartedAt
    await engine.restartContainer(created.Id, { timeoutSeconds: 5 })
    const restarted = await engine.inspectContainer(created.Id)
    expect(restarted?.State.Running).toBe(true)
    expect(restarted?.State.StartedAt).not.toBe(startedAt)

    expect(await engine.stopContainer(created.Id)).toBe('stopped')
    expect(await engine.stopContainer(created.Id)).toBe('already-stopped')
    expect((await engine.inspectContainer(created.Id))?.State.Running).toBe(false)

    const renamed = uniqueName('rt-renamed')
    trackContainer(renamed)
    await engine.renameContainer(created.Id, renamed)
    expect((await engine.inspectContainer(renamed))?.Id).toBe(created.Id)
    expect(await engine.inspectContainer(name)).toBeUndefined()

    const network = await createNetwork()
    await engine.connectNetwork(network, created.Id, { Aliases: ['round-trip'] })
    const connected = await engine.inspectContainer(created.Id)
    expect(connected?.NetworkSettings.Networks?.[network]?.Aliases).toContain('round-trip')

    expect(await engine.removeContainer(created.Id)).toBe('removed')
    expect(await engine.removeContainer(created.Id)).toBe('missing')
    expect(await engine.inspectContainer(created.Id)).toBeUndefined()
  })

  it('reports Engine refusals as typed errors carrying status and message', async () => {
    const name = uniqueName('dup')
    trackContainer(name)
    await engine.createContainer({ name, body: { Image: baseImage() } })
    const conflict = await engine.createContainer({ name, body: { Image: baseImage() } }).catch((error: unknown) => error)
    expect(conflict).toBeInstanceOf(EngineError)
    expect((conflict as EngineError).code).toBe('status')
    expect((conflict as EngineError).status).toBe(409)
    expect((conflict as EngineError).isConflict).toBe(true)
    expect((conflict as EngineError).engineMessage).toMatch(/already in use/)
    expect((conflict as EngineError).method).toBe('POST')

    const missing = await engine.startContainer(uniqueName('ghost')).catch((error: unknown) => error)
    expect((missing as EngineError).isNotFound).toBe(true)
    expect((missing as EngineError).engineMessage).toMatch(/no such container/i)
  })
})

describe('images', () => {
  it('pulls a newer image pushed to the registry, changing the image ID, with progress events', async () => {
    const repository = `${registry()}/${uniqueName('pull')}`
    const ref = `${repository}:live`
    const oldId = await buildImage(ref, { content: 'v1', push: true })
    const newId = await buildImage(ref, { content: 'v2', push: true })
    await docker(['tag', oldId, ref]) // the registry has v2 under the tag; locally it still names v1
    expect((await engine.inspectImage(ref))?.Id).toBe(oldId)

    const progress: PullProgress[] = []
    await engine.pullImage(repository, 'live', { onProgress: (line) => progress.push(line) })

    expect((await engine.inspectImage(ref))?.Id).toBe(newId)
    expect(newId).not.toBe(oldId)
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.at(-1)?.status).toMatch(/Downloaded newer image|Image is up to date/)
    expect(await engine.removeImage(oldId)).toBe('removed')
  })

  it('fails a pull of a tag that does not exist with the registry message', async () => {
    const repository = `${registry()}/${uniqueName('absent')}`
    await buildImage(`${repository}:present`, { push: true })
    const error = await engine.pullImage(repository, 'missing-tag').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EngineError)
    expect(['status', 'stream']).toContain((error as EngineError).code)
    expect((error as EngineError).engineMessage).toMatch(/manifest unknown|not found/)
  })

  it('pulls from an htpasswd registry only with credentials (X-Registry-Auth, password with a colon)', async () => {
    const { host, username, password } = privateRegistry()
    const repository = `${host}/${uniqueName('priv')}`
    const ref = `${repository}:v1`
    const id = await buildImage(ref)
    // Push with a throwaway config dir so the user's ~/.docker/config.json is never touched.
    const dockerConfig = await mkdtemp(join(tmpdir(), 'dh-cfg-'))
    await docker(['--config', dockerConfig, 'login', host, '--username', username, '--password-stdin'], { input: password })
    await docker(['--config', dockerConfig, 'push', ref])
    await docker(['rmi', ref])
    await rm(dockerConfig, { recursive: true, force: true })
    trackImage(id)

    const denied = await engine.pullImage(repository, 'v1').catch((e: unknown) => e)
    expect(denied).toBeInstanceOf(EngineError)
    expect((denied as EngineError).engineMessage).toMatch(/no basic auth credentials|unauthorized|authentication required/)

    const wrong = await engine.pullImage(repository, 'v1', { auth: { username, password: 'wrong', serveraddress: host } }).catch((e: unknown) => e)
    expect((wrong as EngineError).engineMessage).toMatch(/unauthorized|authentication required/)

    await engine.pullImage(repository, 'v1', { auth: { username, password, serveraddress: host } })
    expect((await engine.inspectImage(ref))?.Id).toBe(id)
    trackImage(ref)
  })

  it('inspects a tag in the registry through the Engine (distribution inspect)', async () => {
    const repository = `${registry()}/${uniqueName('dist')}`
    await buildImage(`${repository}:v1`, { push: true })
    const pushed = (await docker(['inspect', '--format', '{{index .RepoDigests 0}}', `${repository}:v1`])).trim()
    const answer = await engine.distributionInspect(`${repository}:v1`)
    expect(pushed.endsWith(`@${answer.Descriptor.digest}`)).toBe(true)
  })

  it('treats removing an image still used by a container as in-use, not a failure', async () => {
    const ref = `${registry()}/${uniqueName('inuse')}:v1`
    const id = await buildImage(ref)
    const name = uniqueName('user')
    trackContainer(name)
    await engine.createContainer({ name, body: { Image: ref } })
    expect(await engine.removeImage(id)).toBe('in-use')
    expect(await engine.inspectImage('sha256:' + '0'.repeat(64))).toBeUndefined()
  })
})
