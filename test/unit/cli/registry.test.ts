import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CliFailure, type CliContext } from '../../../agent/cli/context.ts'
import { registryAdd, registryHost, type RegistryLoginCheck } from '../../../agent/cli/registry.ts'
import type { LoginCredentials } from '../../../agent/cli/registry-login.ts'
import { EngineClient } from '../../../agent/docker/engine.ts'
import { openRegistryAuth } from '../../../agent/store/registry-auth.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function context(stdin: string): Promise<CliContext & { stdout: string[]; stderr: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'dh-cli-unit-'))
  dirs.push(dir)
  const stdout: string[] = []
  const stderr: string[] = []
  return {
    dataDir: dir,
    publicUrl: 'http://127.0.0.1:3000',
    engine: new EngineClient({ kind: 'unix', socketPath: join(dir, 'none.sock'), description: 'test' }),
    output: { out: (text) => void stdout.push(text), err: (text) => void stderr.push(text) },
    now: () => new Date(),
    readStdin: async () => stdin,
    stdout,
    stderr,
  }
}

function recording(answer: Awaited<ReturnType<RegistryLoginCheck>>): RegistryLoginCheck & { calls: [string, LoginCredentials][] } {
  const calls: [string, LoginCredentials][] = []
  return Object.assign(async (host: string, credentials: LoginCredentials) => {
    calls.push([host, credentials])
    return answer
  }, { calls })
}

describe('registryHost', () => {
  it.each([
    ['ghcr.io', 'ghcr.io'],
    ['https://Registry.Example.com:5000/v2/', 'registry.example.com:5000'],
    ['https://index.docker.io/v1/', 'docker.io'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['[::1]:5000', '[::1]:5000'],
  ])('%s → %s', (input, host) => {
    expect(registryHost(input)).toEqual({ ok: true, host })
  })

  it.each(['', 'two words', 'user@host', 'host:port', 'exa mple.com/x'])('refuses %j', (input) => {
    expect(registryHost(input)).toMatchObject({ ok: false })
  })
})

describe('registryAdd', () => {
  it('checks the normalized host with the password read from stdin (one line ending dropped) and saves', async () => {
    const ctx = await context('pa:ss word \r\n')
    const check = recording({ ok: true, outcome: 'accepted' })
    await registryAdd(ctx, 'https://Ghcr.io/', 'me', check)
    expect(check.calls).toEqual([['ghcr.io', { username: 'me', password: 'pa:ss word ' }]])
    expect((await openRegistryAuth(ctx.dataDir)).credentialsFor('ghcr.io')).toEqual({ username: 'me', password: 'pa:ss word ' })
  })

  it('saves nothing when the registry refuses the login', async () => {
    const ctx = await context('wrong')
    await expect(registryAdd(ctx, 'ghcr.io', 'me', recording({ ok: false, outcome: 'rejected', message: 'the registry rejected this username and password' }))).rejects.toThrow(CliFailure)
    expect((await openRegistryAuth(ctx.dataDir)).list()).toEqual([])
  })

  it('notes a registry that needs no login, and still saves', async () => {
    const ctx = await context('pw')
    await registryAdd(ctx, 'registry.example.com', 'me', recording({ ok: true, outcome: 'open' }))
    expect(ctx.stderr.join('')).toContain('does not ask for a login')
    expect((await openRegistryAuth(ctx.dataDir)).list()).toEqual([{ host: 'registry.example.com', username: 'me' }])
  })

  it('refuses before asking the registry: an empty password, a colon in the username, a bad host', async () => {
    const check = recording({ ok: true, outcome: 'accepted' })
    await expect(registryAdd(await context('\n'), 'ghcr.io', 'me', check)).rejects.toThrow(/no password on stdin/)
    await expect(registryAdd(await context('pw'), 'ghcr.io', 'me:you', check)).rejects.toThrow(/must not be empty or contain ":"/)
    await expect(registryAdd(await context('pw'), 'not a host', 'me', check)).rejects.toThrow(/is not a registry host/)
    expect(check.calls).toEqual([])
  })
})
