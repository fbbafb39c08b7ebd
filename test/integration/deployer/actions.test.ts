import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parkedName } from '../../../agent/deployer/recreate.ts'
import { makeDeployer, deploy, type TestDeployer } from '../../support/deployer.ts'
import { buildImage, cleanup, docker, hostAddress, httpGet, registry, runContainer, trackContainer, uniqueName, waitFor } from '../../support/harness.ts'

let t: TestDeployer
beforeAll(async () => {
  t = await makeDeployer({ stableMs: 0 })
})
afterAll(async () => {
  await t.close()
  await cleanup()
})

/** v1 runs; the registry has v2 under the same tag, the host still tags v1 (what a CI push does). */
async function appWithNewerImage(options: { runArgs?: string[] } = {}) {
  const ref = `${registry()}/${uniqueName('app')}:live`
  const v1 = await buildImage(ref, { content: 'v1', push: true })
  const container = await runContainer({ image: ref, args: ['-p', '127.0.0.1::80', ...(options.runArgs ?? [])] })
  const v2 = await buildImage(ref, { content: 'v2', push: true })
  await docker(['tag', v1, ref])
  return { ref, v1, v2, ...container }
}

async function inspect(name: string) {
  const container = await t.engine.inspectContainer(name)
  if (!container) throw new Error(`${name} is gone`)
  return container
}

describe('pull-recreate', () => {
  it('pulls the newer image and replaces the container, which then serves the new content', async () => {
    const app = await appWithNewerImage()
    expect(await httpGet(`http://${await hostAddress(app.name)}/`)).toBe('v1')
    const { record, events } = await deploy(t.deployer, [app.name], 'pull-recreate')
    expect(record.status).toBe('succeeded')
    expect(record.targets).toEqual([{ container: app.name, status: 'succeeded', message: `${app.name} runs the new container` }])
    const after = await inspect(app.name)
    expect(after.Id).not.toBe(app.id)
    expect(after.Image).toBe(app.v2)
    expect(after.State.Running).toBe(true)
    expect(await waitFor(() => hostAddress(app.name).then((a) => httpGet(`http://${a}/`)))).toBe('v2')
    expect(await t.engine.inspectContainer(app.id)).toBeUndefined() // the old one is removed
    expect(events.some((e) => e.type === 'progress')).toBe(true)
    expect(events.filter((e) => e.type === 'log').map((e) => e.message)).toEqual(expect.arrayContaining([`Pulling ${app.ref}`, 'Started the new container']))
  })

  it('reports "up to date" and restarts nothing when the image did not change', async () => {
    const ref = `${registry()}/${uniqueName('same')}:live`
    await buildImage(ref, { push: true })
    const container = await runContainer({ image: ref })
    const before = await inspect(container.name)
    const { record } = await deploy(t.deployer, [container.name], 'pull-recreate')
    expect(record.status).toBe('succeeded')
    expect(record.targets[0]?.status).toBe('up-to-date')
    const after = await inspect(container.name)
    expect(after.Id).toBe(before.Id)
    expect(after.State.StartedAt).toBe(before.State.StartedAt)
  })

  it('removes the replaced image with cleanup, and keeps it as a note when it is still in use', async () => {
    const app = await appWithNewerImage()
    const { record } = await deploy(t.deployer, [app.name], 'pull-recreate', true)
    expect(record.status).toBe('succeeded')
    expect(record.log.map((l) => l.message)).toContain(`Removed the old image ${app.v1.slice(7, 19)}`)
    await expect(docker(['image', 'inspect', app.v1])).rejects.toThrow(/No such image/)

    const shared = await appWithNewerImage()
    const bystander = uniqueName('bystander')
    trackContainer(bystander)
    await docker(['create', '--name', bystander, shared.v1])
    const second = await deploy(t.deployer, [shared.name], 'pull-recreate', true)
    expect(second.record.status).toBe('succeeded')
    expect(second.record.log.map((l) => l.message).join('\n')).toMatch(/Kept the old image \w+ \(still used/)
  })

  it('reports a container whose image is pinned by digest as not updatable, untouched', async () => {
    const ref = `${registry()}/${uniqueName('pinned')}:v1`
    await buildImage(ref, { push: true })
    const digestRef = (await docker(['inspect', '--format', '{{index .RepoDigests 0}}', ref])).trim()
    const container = await runContainer({ image: digestRef })
    const { record } = await deploy(t.deployer, [container.name], 'pull-recreate')
    expect(record.targets[0]?.status).toBe('not-updatable')
    expect(record.status).toBe('failed')
    expect((await inspect(container.name)).Id).toBe(container.id)
  })
})

describe('recreate and restart', () => {
  it('recreate replaces the container from the local image without pulling', async () => {
    const ref = `${registry()}/${uniqueName('local')}:v1`
    await buildImage(ref, { content: 'local' })
    const container = await runContainer({ image: ref })
    const { record, events } = await deploy(t.deployer, [container.name], 'recreate')
    expect(record.status).toBe('succeeded')
    expect((await inspect(container.name)).Id).not.toBe(container.id)
    expect(events.some((e) => e.type === 'log' && e.message.startsWith('Pulling'))).toBe(false)
  })

  it('restart restarts the same container and waits for it', async () => {
    const ref = `${registry()}/${uniqueName('rs')}:v1`
    await buildImage(ref)
    const container = await runContainer({ image: ref })
    const before = await inspect(container.name)
    const { record } = await deploy(t.deployer, [container.name], 'restart')
    expect(record.status).toBe('succeeded')
    const after = await inspect(container.name)
    expect(after.Id).toBe(before.Id)
    expect(after.State.StartedAt).not.toBe(before.State.StartedAt)
  })

  it('deploys stopped and exited containers (they come up), and leaves a never-started one not started', async () => {
    const stopped = await appWithNewerImage()
    await docker(['stop', stopped.name])
    const crashed = await appWithNewerImage({ runArgs: [] })
    await docker(['exec', crashed.name, 'kill', '1']).catch(() => {}) // PID 1 traps TERM and exits 0
    await waitFor(async () => !(await inspect(crashed.name)).State.Running)
    const ref = `${registry()}/${uniqueName('fresh')}:v1`
    await buildImage(ref)
    const fresh = uniqueName('fresh')
    trackContainer(fresh)
    await docker(['create', '--name', fresh, ref])

    const { record } = await deploy(t.deployer, [stopped.name, crashed.name], 'pull-recreate')
    expect(record.targets.map((t) => t.status)).toEqual(['succeeded', 'succeeded'])
    expect((await inspect(stopped.name)).State.Running).toBe(true)
    expect((await inspect(crashed.name)).Image).toBe(crashed.v2)

    const third = await deploy(t.deployer, [fresh], 'recreate')
    expect(third.record.status).toBe('succeeded')
    const after = await inspect(fresh)
    expect(after.State.Status).toBe('created')
  })
})

describe('several targets', () => {
  it('reports each target; 404-style refusal touches nothing when one does not exist', async () => {
    const a = await appWithNewerImage()
    const missing = uniqueName('missing')
    const refused = await t.deployer.start({ containerNames: [a.name, missing], action: 'pull-recreate', cleanup: false, jti: 'j', trigger: { source: 'api' } })
    expect(refused).toMatchObject({ ok: false, reason: 'not-found', missing: [missing] })
    expect((await inspect(a.name)).Id).toBe(a.id)
  })

  it('one failing target of three: the others succeed and each outcome is reported', async () => {
    const a = await appWithNewerImage()
    const b = await appWithNewerImage()
    const broken = await appWithNewerImage()
    await docker(['rmi', '-f', broken.ref]) // its tag is gone from the host: recreate has no image to use
    const { record } = await deploy(t.deployer, [a.name, b.name, broken.name], 'recreate')
    const byName = Object.fromEntries(record.targets.map((target) => [target.container, target.status]))
    expect(byName[a.name]).toBe('succeeded')
    expect(byName[b.name]).toBe('succeeded')
    expect(byName[broken.name]).toBe('failed')
    expect(record.status).toBe('failed')
    expect((await inspect(broken.name)).Id).toBe(broken.id) // untouched
    expect(await t.engine.inspectContainer(parkedName(broken.name, broken.id))).toBeUndefined()
  })
})
