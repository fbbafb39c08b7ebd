import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openKeyRing } from '../../../agent/store/keys.ts'
import { mintToken } from '../../../src/tokens/mint.ts'
import { buildImage, cleanup, docker, dockerHost, registry, runContainer, uniqueName, waitFor } from '../../support/harness.ts'

/*
 * The real agent process, killed with SIGKILL while a recreate is at a given step (read from its
 * journal), then started again on the same data directory: the host converges to one running
 * container under the name and no temporary containers.
 */
const dirs: string[] = []
const children = new Set<ChildProcess>()
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  await cleanup()
})

async function startAgentProcess(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['agent/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: dataDir, PORT: '0', DATA_DIR: dataDir, DOCKER_HOST: dockerHost(), DEPLOY_STABLE_SECONDS: '3', DOCKER_CONFIG: join(dataDir, 'none') },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = await waitFor(() => /listening url=(\S+)/.exec(output)?.[1], { timeoutMs: 15_000 })
  return { child, url }
}

async function journalSteps(dataDir: string): Promise<string[]> {
  const dir = join(dataDir, 'journal')
  const files = await readdir(dir).catch(() => [])
  const steps = await Promise.all(files.filter((f) => f.endsWith('.json')).map(async (f) => (JSON.parse(await readFile(join(dir, f), 'utf8')) as { step: string }).step).map((p) => p.catch(() => '')))
  return steps
}

describe('SIGKILL during a recreate', () => {
  it.each(['stop', 'start', 'health'])('killed at step "%s": the restarted agent converges the host', async (step) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dh-killed-'))
    dirs.push(dataDir)
    const ref = `${registry()}/${uniqueName('killed')}:live`
    // PID 1 that ignores SIGTERM and a 3 s stop timeout: the stop step lasts long enough to be killed in.
    const v1 = await buildImage(ref, { content: 'v1', push: true, cmd: ['/bin/httpd', '-f', '-p', '80', '-h', '/www'] })
    const app = await runContainer({ image: ref, args: ['--stop-timeout', '3'] })
    await buildImage(ref, { content: 'v2', push: true, cmd: ['/bin/httpd', '-f', '-p', '80', '-h', '/www'] })
    await docker(['tag', v1, ref])

    const first = await startAgentProcess(dataDir)
    const keys = await openKeyRing(dataDir)
    const { token } = await mintToken({ containerNames: [app.name], action: 'pull-recreate', cleanup: false, expiresIn: 600 }, keys.current(), new Date())
    const accepted = await fetch(`${first.url}/v1/deploy`, { method: 'POST', headers: { 'x-deploy-token': token, prefer: 'respond-async' } })
    expect(accepted.status).toBe(202)
    await waitFor(async () => (await journalSteps(dataDir)).includes(step), { timeoutMs: 30_000, intervalMs: 20 })
    first.child.kill('SIGKILL')
    await once(first.child, 'exit')

    const second = await startAgentProcess(dataDir)
    await waitFor(async () => (await journalSteps(dataDir)).length === 0, { timeoutMs: 30_000 })
    const names = (await docker(['ps', '-a', '--format', '{{.Names}}', '--filter', `name=${app.name}`])).split('\n').map((n) => n.trim()).filter(Boolean)
    expect(names).toEqual([app.name])
    expect((await docker(['inspect', '--format', '{{.State.Running}}', app.name])).trim()).toBe('true')
    second.child.kill('SIGTERM')
    const [code] = await once(second.child, 'exit')
    expect(code).toBe(0)
  })
})
