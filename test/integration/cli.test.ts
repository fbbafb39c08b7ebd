/*
 * The non-interactive CLI, spawned as a user runs it (`node agent/cli/main.ts …`), against the real
 * Engine and the test registries, each test with its own data directory.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { hookSecretFor } from '../../src/tokens/hook-secret.ts'
import { deployableContainers } from '../../agent/cli/containers.ts'
import { EngineClient } from '../../agent/docker/engine.ts'
import { parseDockerHost } from '../../agent/docker/host.ts'
import { ownContainerMatcher } from '../../agent/docker/own-container.ts'
import { createTokenVerifier, type TokenEndpoint, type VerifyResult } from '../../src/tokens/verify.ts'
import { loadOrCreateHookKey } from '../../agent/store/hook-key.ts'
import { openKeyRing } from '../../agent/store/keys.ts'
import { openRegistryAuth } from '../../agent/store/registry-auth.ts'
import { openRevocations } from '../../agent/store/revocations.ts'
import { baseImage, buildImage, cleanup, docker, dockerHost, privateRegistry, runContainer, trackImage, uniqueName } from '../support/harness.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const URL_ = 'https://deploy.example.test'
const NO_ENGINE = 'unix:///nonexistent/dockhook-test.sock'

afterAll(cleanup)

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dh-cli-'))
  dirs.push(dir)
  return dir
}

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function cli(args: string[], opts: { dir: string; input?: string; env?: Record<string, string>; onSpawn?: (kill: (signal: NodeJS.Signals) => void) => void }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['agent/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: opts.dir, URL: URL_, DOCKER_HOST: dockerHost(), ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
    child.stdin.end(opts.input ?? '')
    opts.onSpawn?.((signal) => child.kill(signal))
  })
}

async function verify(dir: string, token: string, endpoint: TokenEndpoint = 'deploy'): Promise<VerifyResult> {
  const verifier = createTokenVerifier({ keys: await openKeyRing(dir), revocations: await openRevocations(dir) })
  return verifier.verify(token, endpoint)
}

const TOKEN = /v4\.public\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/

describe('token create', () => {
  it('prints a token that verifies, with the curl line and CI snippets, and checks the containers exist', async () => {
    const dir = await dataDir()
    const { name } = await runContainer({ image: baseImage(), cmd: ['sleep', '300'] })
    const run = await cli(['token', 'create', '--container', name, '--action', 'pull-recreate', '--expires', '12h'], { dir })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const token = TOKEN.exec(run.stdout)?.[0]
    expect(token).toBeDefined()
    const result = await verify(dir, token!)
    expect(result).toMatchObject({ ok: true, claims: { containerNames: [name], action: 'pull-recreate', cleanup: true } })
    if (!result.ok) return
    expect(Date.parse(result.claims.exp!) - Date.parse(result.claims.iat)).toBe(12 * 3600 * 1000)
    expect(run.stdout).toContain(`curl -fsS -X POST '${URL_}/v1/deploy' -H 'X-Deploy-Token: ${token}'`)
    expect(run.stdout).toContain('${{ secrets.DEPLOY_TOKEN }}')
  })

  it('--json: one object with token, jti, expiry and, for a webhook, the URL and the secret', async () => {
    const dir = await dataDir()
    const run = await cli(['token', 'create', '--container', 'web', '--container', 'api', '--action', 'recreate', '--hook', 'github', '--expires', 'never', '--json'], { dir, env: { DOCKER_HOST: NO_ENGINE } })
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout) as Record<string, unknown>
    expect(out).toMatchObject({ containerNames: ['web', 'api'], action: 'recreate', cleanup: false, expires: null, provider: 'github', ref: 'refs/heads/main' })
    const token = out.token as string
    expect(out.url).toBe(`${URL_}/v1/hooks/github?token=${token}`)
    expect(out.secret).toBe(await hookSecretFor(await loadOrCreateHookKey(dir), out.jti as string))
    // Bound to GitHub: accepted there and nowhere else.
    expect(await verify(dir, token, 'github')).toMatchObject({ ok: true, claims: { jti: out.jti, hook: { provider: 'github', ref: 'refs/heads/main' } } })
    expect(await verify(dir, token, 'deploy')).toMatchObject({ ok: false, reason: 'wrong_endpoint' })
  })

  it('puts a GitLab token in X-Gitlab-Token and a Harbor token in Authorization, with no secret', async () => {
    const dir = await dataDir()
    const gitlab = JSON.parse((await cli(['token', 'create', '--container', 'web', '--action', 'restart', '--hook', 'gitlab', '--ref', 'refs/tags/v1', '--json'], { dir })).stdout) as Record<string, unknown>
    expect(gitlab).toMatchObject({ url: `${URL_}/v1/hooks/gitlab`, header: { name: 'X-Gitlab-Token', value: gitlab.token }, ref: 'refs/tags/v1' })
    expect(gitlab).not.toHaveProperty('secret')
    const harbor = JSON.parse((await cli(['token', 'create', '--container', 'web', '--action', 'restart', '--hook', 'harbor', '--json'], { dir })).stdout) as Record<string, unknown>
    expect(harbor).toMatchObject({ url: `${URL_}/v1/hooks/harbor`, header: { name: 'Authorization', value: `Bearer ${harbor.token as string}` } })
  })

  it('warns, but still makes the token, when a named container does not exist', async () => {
    const dir = await dataDir()
    const missing = uniqueName('absent')
    const run = await cli(['token', 'create', '--container', missing, '--action', 'restart'], { dir })
    expect(run.code).toBe(0)
    expect(run.stderr).toContain(`warning: no container named ${missing} exists`)
    expect(run.stdout).toMatch(TOKEN)
  })

  it('does not need the Engine: without one it says the names were not checked', async () => {
    const dir = await dataDir()
    const run = await cli(['token', 'create', '--container', 'web', '--action', 'restart'], { dir, env: { DOCKER_HOST: NO_ENGINE } })
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('the Docker Engine did not answer, so the container names were not checked')
    expect(run.stdout).toMatch(TOKEN)
  })

  it('creates the key files 0600 in a 0700 folder', async () => {
    const dir = await dataDir()
    await cli(['token', 'create', '--container', 'web', '--action', 'restart', '--hook', 'gitea'], { dir, env: { DOCKER_HOST: NO_ENGINE } })
    const files = await listFiles(dir)
    const secrets = files.filter((file) => file.endsWith('.k4.secret') || file.endsWith('hook.key'))
    expect(secrets.length).toBeGreaterThanOrEqual(2)
    for (const file of files) expect({ file, mode: (await stat(file)).mode & 0o777 }).toEqual({ file, mode: 0o600 })
    expect((await stat(join(dir, 'keys'))).mode & 0o777).toBe(0o700)
  })
})

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name))
}

describe('token inspect and revoke', () => {
  it('revokes by token and by jti; inspect then says so', async () => {
    const dir = await dataDir()
    const env = { DOCKER_HOST: NO_ENGINE }
    const first = JSON.parse((await cli(['token', 'create', '--container', 'web', '--action', 'restart', '--json'], { dir, env })).stdout) as { token: string; jti: string }
    const second = JSON.parse((await cli(['token', 'create', '--container', 'web', '--action', 'restart', '--json'], { dir, env })).stdout) as { token: string; jti: string }

    const before = await cli(['token', 'inspect', first.token, '--json'], { dir, env })
    expect(JSON.parse(before.stdout)).toMatchObject({ accepted: true, claims: { jti: first.jti, containerNames: ['web'] } })

    const byToken = await cli(['token', 'revoke', first.token], { dir, env })
    expect(byToken.code).toBe(0)
    expect(byToken.stdout).toContain(`jti ${first.jti}`)
    expect(byToken.stdout).not.toContain(first.token)
    expect(await cli(['token', 'revoke', second.jti], { dir, env })).toMatchObject({ code: 0 })

    expect(await verify(dir, first.token)).toMatchObject({ ok: false, reason: 'revoked' })
    expect(await verify(dir, second.token)).toMatchObject({ ok: false, reason: 'revoked' })
    const after = await cli(['token', 'inspect', first.token], { dir, env })
    expect(after.stdout).toContain('Refused by this instance: the deploy token has been revoked (revoked)')
  })

  it('refuses a forged token without printing it', async () => {
    const dir = await dataDir()
    const env = { DOCKER_HOST: NO_ENGINE }
    const { token } = JSON.parse((await cli(['token', 'create', '--container', 'web', '--action', 'restart', '--json'], { dir, env })).stdout) as { token: string }
    const other = await dataDir()
    const run = await cli(['token', 'inspect', token], { dir: other, env })
    expect(run.stdout).toMatch(/Refused by this instance: .*\(unknown_key\)/)
    expect(run.stdout + run.stderr).not.toContain(token)

    const junk = `v4.public.${'A'.repeat(20)}`
    const bad = await cli(['token', 'inspect', junk], { dir, env })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toBe('dockhook: this is not a v4.public deploy token\n')
  })
})

describe('key', () => {
  it('rotates, keeps earlier tokens valid until the old key is retired, and shows the public keys', async () => {
    const dir = await dataDir()
    const env = { DOCKER_HOST: NO_ENGINE }
    const { token } = JSON.parse((await cli(['token', 'create', '--container', 'web', '--action', 'restart', '--json'], { dir, env })).stdout) as { token: string }
    const [oldKey] = JSON.parse((await cli(['key', 'show', '--json'], { dir, env })).stdout).keys as { kid: string; publicKey: string }[]
    expect(oldKey?.publicKey).toMatch(/^k4\.public\./)

    const rotated = await cli(['key', 'rotate'], { dir, env })
    expect(rotated.code).toBe(0)
    expect(rotated.stdout).toContain(`dockhook key retire ${oldKey!.kid}`)
    expect(await verify(dir, token)).toMatchObject({ ok: true })

    const shown = await cli(['key', 'show'], { dir, env })
    expect(shown.stdout).toMatch(/current — signs new tokens/)
    expect(shown.stdout).toContain(oldKey!.publicKey)
    expect(shown.stdout).not.toMatch(/k4\.secret/)

    expect(await cli(['key', 'retire', oldKey!.kid], { dir, env })).toMatchObject({ code: 0 })
    expect(await verify(dir, token)).toMatchObject({ ok: false, reason: 'unknown_key' })
  })

  it('refuses to retire the current key or an unknown one, with exit 1', async () => {
    const dir = await dataDir()
    const env = { DOCKER_HOST: NO_ENGINE }
    const [current] = JSON.parse((await cli(['key', 'show', '--json'], { dir, env })).stdout).keys as { kid: string }[]
    const run = await cli(['key', 'retire', current!.kid], { dir, env })
    expect(run).toMatchObject({ code: 1, stderr: expect.stringContaining('is the current signing key') })
    expect(await cli(['key', 'retire', 'k4.pid.nope'], { dir, env })).toMatchObject({ code: 1, stderr: expect.stringContaining('no key k4.pid.nope') })
  })

  it('imports docker-deploy-api\'s key.pem', async () => {
    const dir = await dataDir()
    const env = { DOCKER_HOST: NO_ENGINE }
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url')
    const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')
    const pem = join(dir, 'old-key.pem')
    await writeFile(pem, Buffer.concat([seed, pub]).toString('base64'))
    const run = await cli(['key', 'import', pem], { dir, env })
    expect(run.code).toBe(0)
    const keys = JSON.parse((await cli(['key', 'show', '--json'], { dir, env })).stdout).keys as { publicKey: string; source: string }[]
    expect(keys.map((key) => key.publicKey)).toContain(`k4.public.${pub.toString('base64url')}`)

    const broken = await cli(['key', 'import', join(dir, 'missing.pem')], { dir, env })
    expect(broken).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot read') })
  })
})

describe('registry', () => {
  it('checks the login with the registry before saving it; a colon in the password survives', async () => {
    const dir = await dataDir()
    const { host, username, password } = privateRegistry()
    expect(password).toContain(':')
    const run = await cli(['registry', 'add', host, '--username', username, '--password-stdin'], { dir, input: `${password}\n` })
    expect(run.stderr).toBe('')
    expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining('checked with the registry') })
    expect((await openRegistryAuth(dir)).credentialsFor(host)).toEqual({ username, password })

    const list = await cli(['registry', 'list'], { dir })
    expect(list.stdout).toContain(`${host}  ${username}`)
    expect(list.stdout).not.toContain(password)
    expect(JSON.parse((await cli(['registry', 'list', '--json'], { dir })).stdout)).toEqual({ registries: [expect.objectContaining({ host, username })] })

    expect(await cli(['registry', 'remove', host], { dir })).toMatchObject({ code: 0 })
    expect((await cli(['registry', 'list'], { dir })).stdout).toBe('No registry logins saved.\n')
    expect(await cli(['registry', 'remove', host], { dir })).toMatchObject({ code: 1 })
  })

  it('refuses a wrong password, saves nothing and never prints the password', async () => {
    const dir = await dataDir()
    const { host, username } = privateRegistry()
    const wrong = 'not:the-password'
    const run = await cli(['registry', 'add', host, '--username', username, '--password-stdin'], { dir, input: wrong })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('rejected this username and password; nothing was saved')
    expect(run.stdout + run.stderr).not.toContain(wrong)
    expect((await openRegistryAuth(dir)).credentialsFor(host)).toBeUndefined()
  })

  it('saves with a warning when the registry cannot be reached', async () => {
    const dir = await dataDir()
    const run = await cli(['registry', 'add', 'http://127.0.0.1:9/', '--username', 'u', '--password-stdin'], { dir, input: 'p:w' })
    expect(run.code).toBe(0)
    expect(run.stderr).toMatch(/^warning: could not check the login for 127\.0\.0\.1:9 \(cannot reach the registry/)
    expect((await openRegistryAuth(dir)).credentialsFor('127.0.0.1:9')).toEqual({ username: 'u', password: 'p:w' })
  })
})

describe('the generator\'s container list', () => {
  it('lists name, image and state, and leaves out the container the CLI runs in', async () => {
    const self = await runContainer({ image: baseImage(), cmd: ['sleep', '300'] })
    const other = await runContainer({ image: baseImage(), cmd: ['sleep', '300'] })
    // What the CLI would read inside `self`, read from inside it.
    const isOwn = ownContainerMatcher({
      mountinfo: await docker(['exec', self.name, 'cat', '/proc/self/mountinfo']),
      cgroup: await docker(['exec', self.name, 'cat', '/proc/self/cgroup']),
      hostname: (await docker(['exec', self.name, 'hostname'])).trim(),
    })
    const engine = new EngineClient(parseDockerHost({ dockerHost: dockerHost() }))
    try {
      const containers = await deployableContainers(engine, isOwn)
      expect(containers).toContainEqual({ name: other.name, image: baseImage(), state: 'running' })
      expect(containers.map((c) => c.name)).not.toContain(self.name)
      // Outside any container nothing is left out.
      const all = await deployableContainers(engine, ownContainerMatcher({}))
      expect(all.map((c) => c.name)).toEqual(expect.arrayContaining([self.name, other.name]))
    } finally {
      await engine.close()
    }
  })
  it('shows the reference a container was made from even after its tag moved to another image', async () => {
    const ref = `${uniqueName('moved')}:v1`
    // The first image loses its tag below; registered by ID so cleanup removes it too.
    trackImage(await buildImage(ref, { content: 'one' }))
    const { name, id } = await runContainer({ image: ref, cmd: ['sleep', '300'] })
    await buildImage(ref, { content: 'two' })
    const engine = new EngineClient(parseDockerHost({ dockerHost: dockerHost() }))
    try {
      const [summary] = await engine.listContainers({ all: true, filters: { id: [id] } })
      expect(summary?.Image).toMatch(/^sha256:/)
      expect((await deployableContainers(engine, () => false)).find((c) => c.name === name)).toEqual({ name, image: ref, state: 'running' })
    } finally {
      await engine.close()
    }
  })
})

describe('command line', () => {
  it('prints the usage and exits 2 on an unknown flag, without echoing values', async () => {
    const dir = await dataDir()
    const run = await cli(['registry', 'add', 'ghcr.io', '--username', 'me', '--password=hunter2'], { dir })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^dockhook: Unknown option '--password'/)
    expect(run.stderr).toContain('Usage: dockhook')
    expect(run.stderr).not.toContain('hunter2')
    expect(run.stdout).toBe('')
  })

  it('exits 2 without a command when no terminal is attached, and 0 for help', async () => {
    const dir = await dataDir()
    expect(await cli([], { dir })).toMatchObject({ code: 2, stderr: expect.stringContaining('the menu needs a terminal') })
    expect(await cli(['help'], { dir })).toMatchObject({ code: 0, stdout: expect.stringContaining('token create --container NAME') })
  })

  it('exits 130 on Ctrl-C, without a stack trace', async () => {
    const dir = await dataDir()
    // An "Engine" that accepts the connection and never answers: once the CLI has connected it is
    // past its start-up and waiting, which is when a person would press Ctrl-C.
    const socket = join(dir, 'silent.sock')
    const connected = Promise.withResolvers<void>()
    const server = createServer(() => connected.resolve())
    server.listen(socket)
    await once(server, 'listening')
    try {
      const run = await cli(['token', 'create', '--container', 'web', '--action', 'restart'], {
        dir,
        env: { DOCKER_HOST: `unix://${socket}` },
        onSpawn: (kill) => void connected.promise.then(() => kill('SIGINT')),
      })
      expect(run).toMatchObject({ code: 130, signal: null, stderr: '\n', stdout: '' })
    } finally {
      server.close()
    }
  })

  it('says clearly when a bad environment variable stops it', async () => {
    const dir = await dataDir()
    const run = await cli(['key', 'show'], { dir, env: { URL: 'ftp://nope' } })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^dockhook: invalid environment: URL: /)
  })
})
