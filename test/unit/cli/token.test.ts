import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { TokenCreateOptions } from '../../../agent/cli/commands.ts'
import type { CliContext } from '../../../agent/cli/context.ts'
import { tokenCreate, tokenInspect } from '../../../agent/cli/token.ts'
import { EngineClient } from '../../../agent/docker/engine.ts'
import { openKeyRing } from '../../../agent/store/keys.ts'
import { openRevocations } from '../../../agent/store/revocations.ts'
import { createTokenVerifier } from '../../../src/tokens/verify.ts'

/* The token commands called in-process, with a fixed clock: expiry is tested without waiting. */
const NOW = new Date('2026-03-01T10:00:00Z')
const DAY = 86_400_000

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function context(now: Date = NOW): Promise<CliContext & { stdout: string[]; stderr: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'dh-cli-unit-'))
  dirs.push(dir)
  const stdout: string[] = []
  const stderr: string[] = []
  return {
    dataDir: dir,
    publicUrl: 'https://deploy.example.test',
    // Nothing listens there: the commands must cope without an Engine.
    engine: new EngineClient({ kind: 'unix', socketPath: join(dir, 'no-engine.sock'), description: 'test' }),
    output: { out: (text) => void stdout.push(text), err: (text) => void stderr.push(text) },
    now: () => now,
    readStdin: async () => '',
    stdout,
    stderr,
  }
}

const request: TokenCreateOptions = { containerNames: ['web'], action: 'restart', cleanup: false, expiresIn: 30 * 86_400, json: true }

describe('tokenCreate', () => {
  it('issues at the injected time and expires exactly the asked lifetime later', async () => {
    const ctx = await context()
    await tokenCreate(ctx, request)
    const out = JSON.parse(ctx.stdout.join('')) as { token: string; issuedAt: string; expires: string }
    expect(out.issuedAt).toBe('2026-03-01T10:00:00Z')
    expect(out.expires).toBe('2026-03-31T10:00:00Z')
    expect(ctx.stderr.join('')).toContain('container names were not checked')

    const verifier = async (at: number) =>
      createTokenVerifier({ keys: await openKeyRing(ctx.dataDir), revocations: await openRevocations(ctx.dataDir), now: () => new Date(at) }).verify(out.token, 'deploy')
    expect(await verifier(NOW.getTime() + 29 * DAY)).toMatchObject({ ok: true })
    expect(await verifier(NOW.getTime() + 31 * DAY)).toMatchObject({ ok: false, reason: 'expired' })
  })
})

describe('tokenInspect', () => {
  it('tells an accepted token from an expired one by the injected clock, claims included', async () => {
    const ctx = await context()
    await tokenCreate(ctx, { ...request, expiresIn: 3600 })
    const { token } = JSON.parse(ctx.stdout.join('')) as { token: string }

    const fresh = await context(NOW)
    await tokenInspect({ ...fresh, dataDir: ctx.dataDir }, token, false)
    expect(fresh.stdout.join('')).toMatch(/^Accepted by this instance \(signed with k4\.pid\./)
    expect(fresh.stdout.join('')).toContain('expires:    2026-03-01T11:00:00Z (in 1 hour)')

    const later = await context(new Date(NOW.getTime() + 2 * 3600_000))
    await tokenInspect({ ...later, dataDir: ctx.dataDir }, token, true)
    expect(JSON.parse(later.stdout.join(''))).toMatchObject({ accepted: false, reason: 'expired', claims: { containerNames: ['web'], action: 'restart' } })
  })

  it('checks a webhook token at its own endpoint rather than calling it misplaced', async () => {
    const ctx = await context()
    await tokenCreate(ctx, { ...request, hook: { provider: 'quay' } })
    const { token } = JSON.parse(ctx.stdout.join('')) as { token: string }
    const inspect = await context()
    await tokenInspect({ ...inspect, dataDir: ctx.dataDir }, token, true)
    expect(JSON.parse(inspect.stdout.join(''))).toMatchObject({ accepted: true, claims: { hook: { provider: 'quay' } } })
  })
})
