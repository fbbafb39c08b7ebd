import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { credentialResolver } from '../../../agent/deployer/credentials.ts'
import { parkedName } from '../../../agent/deployer/recreate.ts'
import { makeDeployer, deploy, type TestDeployer } from '../../support/deployer.ts'
import { buildImage, cleanup, createNetwork, docker, hostAddress, httpGet, privateRegistry, registry, runContainer, uniqueName, type BuildImageOptions } from '../../support/harness.ts'

/*
 * A failed deploy leaves the host as it was: the old container runs under its name, serving, with
 * its data. Each case breaks the deploy at a different point.
 */
let t: TestDeployer
beforeAll(async () => {
  // A stability window, so a replacement that dies after a moment is caught.
  t = await makeDeployer({ stableMs: 1500, healthTimeoutMs: 15_000 })
})
afterAll(async () => {
  await t.close()
  await cleanup()
})

const DATA_FILE = '/data/kept.txt'

/** v1 runs with a file in its anonymous volume; `next` is pushed under the same tag. */
async function runningApp(next: BuildImageOptions | undefined, options: { runArgs?: string[]; ref?: string } = {}) {
  const ref = options.ref ?? `${registry()}/${uniqueName('rb')}:live`
  const v1 = await buildImage(ref, { content: 'v1', push: !ref.includes('127.0.0.1:1/') && next !== undefined, volumes: ['/data'] })
  const container = await runContainer({ image: ref, args: ['-p', '127.0.0.1::80', ...(options.runArgs ?? [])] })
  await docker(['exec', container.name, 'sh', '-c', `echo precious > ${DATA_FILE}`])
  if (next) {
    await buildImage(ref, { content: 'v2', volumes: ['/data'], ...next, push: true })
    await docker(['tag', v1, ref])
  }
  return { ref, v1, ...container }
}

async function expectUntouched(app: { name: string; id: string }) {
  const now = await t.engine.inspectContainer(app.name)
  expect(now?.Id).toBe(app.id)
  expect(now?.State.Running).toBe(true)
  expect(await httpGet(`http://${await hostAddress(app.name)}/`)).toBe('v1')
  expect((await docker(['exec', app.name, 'cat', DATA_FILE])).trim()).toBe('precious')
  const leftovers = await docker(['ps', '-a', '--format', '{{.Names}}', '--filter', `name=${app.name}-dockhook`])
  expect(leftovers.trim()).toBe('')
  expect(await t.engine.inspectContainer(parkedName(app.name, app.id))).toBeUndefined()
}

describe('rollback after the replacement started', () => {
  it('the replacement exits at once', async () => {
    const app = await runningApp({ cmd: ['/bin/sh', '-c', 'exit 3'] })
    const { record } = await deploy(t.deployer, [app.name], 'pull-recreate')
    expect(record.status).toBe('rolled-back')
    expect(record.targets[0]).toMatchObject({ status: 'rolled-back', message: expect.stringMatching(/exited with code 3/) })
    await expectUntouched(app)
  })

  it('the replacement starts, then dies within the stability window', async () => {
    const app = await runningApp({ cmd: ['/bin/sh', '-c', 'sleep 0.5; exit 4'] })
    const { record } = await deploy(t.deployer, [app.name], 'pull-recreate')
    expect(record.targets[0]).toMatchObject({ status: 'rolled-back', message: expect.stringMatching(/exited with code 4/) })
    await expectUntouched(app)
  })

  it('the replacement turns unhealthy', async () => {
    const app = await runningApp({ healthcheck: '--interval=1s --timeout=1s --retries=1 CMD false' })
    const { record } = await deploy(t.deployer, [app.name], 'pull-recreate')
    expect(record.targets[0]).toMatchObject({ status: 'rolled-back', message: expect.stringMatching(/unhealthy/) })
    await expectUntouched(app)
  })
})

describe('failures before the old container is stopped leave it untouched', () => {
  it('create fails: a bind mount source that no longer exists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dh-bind-'))
    const app = await runningApp({ content: 'v2' }, { runArgs: ['--mount', `type=bind,source=${dir},target=/bound`] })
    await rm(dir, { recursive: true })
    const { record } = await deploy(t.deployer, [app.name], 'pull-recreate')
    expect(record.targets[0]).toMatchObject({ status: 'rolled-back', message: expect.stringMatching(/bind source path does not exist/) })
    await expectUntouched(app)
  })

  it('create fails: a network that no longer exists (stopped container stays stopped)', async () => {
    const network = await createNetwork()
    const ref = `${registry()}/${uniqueName('gone-net')}:v1`
    await buildImage(ref, { push: true })
    const app = await runContainer({ image: ref, args: ['--network', network] })
    await docker(['stop', app.name])
    await docker(['network', 'rm', network])
    const { record } = await deploy(t.deployer, [app.name], 'recreate')
    expect(record.targets[0]).toMatchObject({ status: 'rolled-back', message: expect.stringMatching(/network .*not found/i) })
    const after = await t.engine.inspectContainer(app.name)
    expect(after?.Id).toBe(app.id)
    expect(after?.State.Running).toBe(false)
  })

  it('pull fails: the tag is missing in the registry', async () => {
    const ref = `${registry()}/${uniqueName('never-pushed')}:live`
    const app = await runningApp(undefined, { ref })
    const { record } = await deploy(t.deployer, [app.name], 'pull-recreate')
    expect(record.targets[0]).toMatchObject({ status: 'failed', message: expect.stringMatching(/manifest unknown|not found/) })
    await expectUntouched(app)
  })

  it('pull fails: the registry is down', async () => {
    const app = await runningApp(undefined, { ref: `127.0.0.1:1/${uniqueName('down')}:live` })
    const { record } = await deploy(t.deployer, [app.name], 'pull-recreate')
    expect(record.targets[0]).toMatchObject({ status: 'failed', message: expect.stringMatching(/connection refused|dial tcp/) })
    await expectUntouched(app)
  })

  it('pull fails: bad credentials for a private registry', async () => {
    const { host, username, password } = privateRegistry()
    const ref = `${host}/${uniqueName('priv')}:live`
    await buildImage(ref, { content: 'v1', volumes: ['/data'] })
    const config = await mkdtemp(join(tmpdir(), 'dh-cfg-'))
    await docker(['--config', config, 'login', host, '--username', username, '--password-stdin'], { input: password })
    await docker(['--config', config, 'push', ref])
    await rm(config, { recursive: true, force: true })
    const app = await runContainer({ image: ref, args: ['-p', '127.0.0.1::80'] })
    await docker(['exec', app.name, 'sh', '-c', `echo precious > ${DATA_FILE}`])
    const wrong = await makeDeployer({ credentials: credentialResolver({ stored: (key) => (key === host ? { username, password: 'not-it' } : undefined), dockerConfigDir: '/nonexistent' }) })
    try {
      const { record } = await deploy(wrong.deployer, [app.name], 'pull-recreate')
      expect(record.targets[0]).toMatchObject({ status: 'failed', message: expect.stringMatching(/unauthorized|authentication required/) })
      expect(JSON.stringify(record)).not.toContain('not-it')
    } finally {
      await wrong.close()
    }
    await expectUntouched({ ...app, name: app.name })
  })
})
