/*
 * The interactive menu in a real terminal (tmux): keys typed, screens read, against the real
 * Engine and the htpasswd registry. Each test has its own data directory and terminal.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { hookSecretFor } from '../../src/tokens/hook-secret.ts'
import { createTokenVerifier, type TokenEndpoint, type VerifyResult } from '../../src/tokens/verify.ts'
import { generateToken } from '../../agent/cli/token.ts'
import { loadOrCreateHookKey } from '../../agent/store/hook-key.ts'
import { openKeyRing } from '../../agent/store/keys.ts'
import { openRegistryAuth } from '../../agent/store/registry-auth.ts'
import { openRevocations } from '../../agent/store/revocations.ts'
import { baseImage, cleanup, docker, dockerHost, privateRegistry, runContainer, waitFor } from '../support/harness.ts'
import { Terminal } from '../support/terminal.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const URL_ = 'https://deploy.example.test'
const MENU = 'what do you want to do?'
const TOKEN = /v4\.public\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/

afterAll(cleanup)

const open: { terminal?: Terminal; dir: string }[] = []
afterEach(async () => {
  for (const { terminal, dir } of open.splice(0)) {
    await terminal?.close()
    await rm(dir, { recursive: true, force: true })
  }
})

async function startMenu(env: Record<string, string> = {}): Promise<{ terminal: Terminal; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'dh-menu-'))
  const entry: { terminal?: Terminal; dir: string } = { dir }
  open.push(entry)
  const terminal = await Terminal.start([process.execPath, 'agent/cli/main.ts'], {
    cwd: ROOT,
    env: { DATA_DIR: dir, URL: URL_, DOCKER_HOST: dockerHost(), ...env },
  })
  entry.terminal = terminal
  await terminal.waitFor(MENU)
  return { terminal, dir }
}

async function verify(dir: string, token: string, endpoint: TokenEndpoint): Promise<VerifyResult> {
  return createTokenVerifier({ keys: await openKeyRing(dir), revocations: await openRevocations(dir) }).verify(token, endpoint)
}

/** The screen from the last time `marker` appeared: what the current prompt shows. */
function since(screen: string, marker: string): string {
  return screen.slice(screen.lastIndexOf(marker))
}

/** Moves a list prompt's cursor (❯) down to the line that contains `text`. */
async function moveTo(terminal: Terminal, marker: string, text: string): Promise<void> {
  const cursorLine = async () => since(await terminal.screen(), marker).split('\n').find((line) => line.trimStart().startsWith('❯')) ?? ''
  const seen = new Set<string>()
  for (let line = await cursorLine(); !line.includes(text); ) {
    if (seen.has(line)) throw new Error(`${text} is not in the list after ${marker}`)
    seen.add(line)
    await terminal.press('Down')
    // One key, one step: wait for the cursor to move before pressing again.
    const previous = line
    line = await waitFor(async () => {
      const next = await cursorLine()
      return next !== previous ? next : undefined
    })
  }
}

/** Picks a menu entry by its text. */
async function choose(terminal: Terminal, marker: string, text: string): Promise<void> {
  await moveTo(terminal, marker, text)
  await terminal.press('Enter')
}

describe('the menu', () => {
  it('generates a webhook token for a container picked from the Engine\'s list', async () => {
    const running = await runContainer({ image: baseImage(), cmd: ['sleep', '300'] })
    const stopped = await runContainer({ image: baseImage(), cmd: ['true'] })
    await docker(['wait', stopped.name])
    const { terminal, dir } = await startMenu()

    await choose(terminal, MENU, 'Generate a deploy token')
    const list = since(await terminal.waitFor('Which containers may this token deploy?'), 'Which containers')
    // Name, image and state of real containers, as the Engine lists them.
    expect(list).toMatch(new RegExp(`${running.name} +${baseImage()} +\\(running\\)`))
    await moveTo(terminal, 'Which containers', stopped.name)
    expect(since(await terminal.screen(), 'Which containers')).toMatch(new RegExp(`${stopped.name} +${baseImage()} +\\(exited\\)`))
    await moveTo(terminal, 'Which containers', running.name)
    await terminal.press('Space', 'Enter')

    await terminal.waitFor('Should the token expire?')
    await terminal.press('Enter')
    await terminal.waitFor('Expires after')
    await terminal.press('BSpace', 'BSpace', 'BSpace')
    await terminal.type('soon')
    await terminal.press('Enter')
    await terminal.waitFor('"soon" is not a duration')
    for (let i = 0; i < 4; i++) await terminal.press('BSpace')
    await terminal.type('12h')
    await terminal.press('Enter')

    await terminal.waitFor('What should a deploy do?')
    await choose(terminal, 'What should a deploy do?', 'pull the image and recreate')
    await terminal.waitFor('Remove the replaced image')
    await terminal.press('Enter')
    await terminal.waitFor('How will the token be used?')
    await choose(terminal, 'How will the token be used?', 'GitHub webhook')
    await terminal.waitFor('Deploy for pushes to which ref')
    await terminal.press('Enter')

    const screen = since(await terminal.waitFor(/Secret: +\S+/), 'Deploy token (shown once')
    const token = TOKEN.exec(screen)?.[0]
    expect(token).toBeDefined()
    const result = await verify(dir, token!, 'github')
    expect(result).toMatchObject({ ok: true, claims: { containerNames: [running.name], action: 'pull-recreate', cleanup: true, hook: { provider: 'github', ref: 'refs/heads/main' } } })
    if (!result.ok) return
    expect(Date.parse(result.claims.exp!) - Date.parse(result.claims.iat)).toBe(12 * 3600 * 1000)
    expect(screen).toContain(`Payload URL:   ${URL_}/v1/hooks/github?token=${token}`)
    expect(screen).toContain('Content type:  application/json')
    expect(screen).toContain(`Secret:        ${await hookSecretFor(await loadOrCreateHookKey(dir), result.claims.jti)}`)

    // Back at the menu; Exit leaves cleanly.
    await terminal.waitFor(new RegExp(`Secret:[^]*${MENU}`))
    await choose(terminal, MENU, 'Exit')
    expect(await terminal.exitCode()).toBe(0)
  })

  it('revokes a pasted token without showing it', async () => {
    const { terminal, dir } = await startMenu()
    const { token, claims } = await generateToken({ dataDir: dir, publicUrl: URL_, now: () => new Date() }, { containerNames: ['web'], action: 'restart', cleanup: false, expiresIn: 3600 })
    expect(await verify(dir, token, 'deploy')).toMatchObject({ ok: true })

    await choose(terminal, MENU, 'Revoke a deploy token')
    await terminal.waitFor('Token or jti to revoke')
    await terminal.type(token)
    await terminal.press('Enter')
    const screen = await terminal.waitFor(`Revoked the token (jti ${claims.jti})`)
    expect(screen).not.toContain(token)
    expect(await verify(dir, token, 'deploy')).toMatchObject({ ok: false, reason: 'revoked' })
  })

  it('adds a registry login: a wrong password is refused, the right one (with a colon) saved', async () => {
    const { host, username, password } = privateRegistry()
    const { terminal, dir } = await startMenu()
    const login = async (secret: string) => {
      await choose(terminal, MENU, 'Add registry login data')
      await terminal.waitFor('Which registry?')
      await choose(terminal, 'Which registry?', 'Another registry')
      await terminal.waitFor('Registry host or URL')
      await terminal.type(`http://${host}/`)
      await terminal.press('Enter')
      await terminal.waitFor('Username:')
      await terminal.type(username)
      await terminal.press('Enter')
      await terminal.waitFor('Password or access token:')
      await terminal.type(secret)
      await terminal.press('Enter')
    }

    await login('wrong:password')
    const refused = await terminal.waitFor('rejected this username and password; nothing was saved')
    expect(refused).not.toContain('wrong:password')
    expect((await openRegistryAuth(dir)).credentialsFor(host)).toBeUndefined()

    await terminal.waitFor(new RegExp(`nothing was saved[^]*${MENU}`))
    await login(password)
    const saved = await terminal.waitFor(`Saved the login for ${host} (user ${username}, checked with the registry)`)
    expect(saved).not.toContain(password)
    expect((await openRegistryAuth(dir)).credentialsFor(host)).toEqual({ username, password })
  })

  it('shows and rotates the public key', async () => {
    const { terminal, dir } = await startMenu()
    const before = (await openKeyRing(dir)).current()
    await choose(terminal, MENU, 'Show public key')
    await terminal.waitFor(before.publicKey)
    await terminal.waitFor(new RegExp(`${before.publicKey}[^]*${MENU}`))
    await choose(terminal, MENU, 'Rotate key')
    await terminal.waitFor('Make a new signing key?')
    await terminal.press('Enter')
    await terminal.waitFor(`dockhook key retire ${before.kid}`)
    const after = (await openKeyRing(dir)).current()
    expect(after.kid).not.toBe(before.kid)
  })

  it('leaves with exit code 130 and no stack trace on Ctrl-C', async () => {
    const { terminal } = await startMenu()
    await choose(terminal, MENU, 'Generate a deploy token')
    await terminal.waitFor('Which containers may this token deploy?')
    await terminal.press('C-c')
    expect(await terminal.exitCode()).toBe(130)
    expect(await terminal.screen()).not.toMatch(/Error|\n\s+at /)
  })

  it('ends with a clear message and exit code 1 when Generate finds no Engine', async () => {
    const { terminal } = await startMenu({ DOCKER_HOST: 'unix:///nonexistent/dockhook-test.sock' })
    await choose(terminal, MENU, 'Generate a deploy token')
    expect(await terminal.exitCode()).toBe(1)
    expect(await terminal.screen()).toContain('dockhook: the Docker Engine is needed for this and is not reachable: cannot connect to the Docker Engine at unix:///nonexistent/dockhook-test.sock: the socket does not exist')
  })
})
