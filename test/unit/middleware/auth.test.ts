import { describe, expect, it } from 'vitest'
import { createApp } from '../../../src/app.ts'
import type { Logger, LogFields } from '../../../src/ports.ts'
import { generateSecretPaserk, importSigningKey, importVerificationKey } from '../../../src/tokens/keys.ts'
import { mintToken } from '../../../src/tokens/mint.ts'
import { createTokenVerifier, staticKeyRing } from '../../../src/tokens/verify.ts'

const healthy = { check: async () => ({ ok: true as const, detail: 'test' }) }

async function setup(options: { limit?: number; behindProxy?: boolean; revoked?: string[] } = {}) {
  const signer = await importSigningKey(await generateSecretPaserk())
  const lines: string[] = []
  const record = (level: string) => (message: string, fields?: LogFields) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`)
  const logger: Logger = { info: record('info'), warn: record('warn'), error: record('error') }
  let now = new Date('2026-03-01T12:00:00Z')
  const revoked = new Set(options.revoked)
  const app = createApp({
    health: healthy,
    tokens: createTokenVerifier({ keys: staticKeyRing([await importVerificationKey(signer.publicKey)]), revocations: { isRevoked: (jti) => revoked.has(jti) }, now: () => now }),
    clientAddress: (c) => c.req.header('x-test-peer') ?? '192.0.2.1',
    behindProxy: options.behindProxy ?? false,
    authFailureLimit: options.limit ?? 0,
    now: () => now,
    logger,
  })
  const mint = async (overrides: Partial<Parameters<typeof mintToken>[0]> = {}) =>
    (await mintToken({ containerNames: ['web'], action: 'pull-recreate', cleanup: true, expiresIn: 3600, ...overrides }, signer, now)).token
  const deploy = (headers: Record<string, string> = {}) => app.request('/v1/deploy', { method: 'POST', headers })
  return { app, mint, deploy, lines, revoked, advance: (ms: number) => (now = new Date(now.getTime() + ms)) }
}

describe('POST /v1/deploy authentication', () => {
  it('accepts X-Deploy-Token and Authorization: Bearer (501 from an app that has no deployer)', async () => {
    const { mint, deploy } = await setup()
    const token = await mint()
    const variants: Record<string, string>[] = [{ 'X-Deploy-Token': token }, { Authorization: `Bearer ${token}` }, { authorization: `bearer  ${token}` }]
    for (const headers of variants) {
      const response = await deploy(headers)
      expect(response.status).toBe(501)
      expect(await response.json()).toMatchObject({ error: 'not_implemented' })
    }
  })

  it('answers 401 with the reason code and a message for each kind of bad token', async () => {
    const { mint, deploy, advance, revoked } = await setup()
    const token = await mint()
    const [, , payload, footer] = token.split('.') as [string, string, string, string]
    const cases: [Record<string, string>, string][] = [
      [{}, 'missing'],
      [{ Authorization: 'Basic dXNlcjpwYXNz' }, 'missing'],
      [{ 'X-Deploy-Token': 'x'.repeat(9000) }, 'too_long'],
      [{ 'X-Deploy-Token': 'nonsense' }, 'malformed'],
      [{ 'X-Deploy-Token': token.replace('v4.public', 'v4.local') }, 'wrong_version'],
      [{ 'X-Deploy-Token': `v4.public.${payload.slice(0, 30)}B${payload.slice(31)}.${footer}` }, 'bad_signature'],
    ]
    for (const [headers, reason] of cases) {
      const response = await deploy(headers)
      expect(response.status, reason).toBe(401)
      const body = (await response.json()) as { error: string; message: string }
      expect(body.error).toBe(reason)
      expect(body.message.length).toBeGreaterThan(10)
    }
    const other = await importSigningKey(await generateSecretPaserk())
    const foreign = (await mintToken({ containerNames: ['web'], action: 'restart', cleanup: false, expiresIn: 60 }, other, new Date())).token
    expect(await (await deploy({ 'X-Deploy-Token': foreign })).json()).toMatchObject({ error: 'unknown_key' })

    const jti = JSON.parse(Buffer.from(payload, 'base64url').subarray(0, -64).toString()).jti as string
    revoked.add(jti)
    expect(await (await deploy({ 'X-Deploy-Token': token })).json()).toMatchObject({ error: 'revoked' })
    revoked.delete(jti)
    advance(2 * 3600_000)
    expect(await (await deploy({ 'X-Deploy-Token': token })).json()).toMatchObject({ error: 'expired' })
  })

  it('answers 403 wrong_endpoint for a token bound to a webhook provider', async () => {
    const { mint, deploy } = await setup()
    const response = await deploy({ 'X-Deploy-Token': await mint({ hook: { provider: 'gitlab' } }) })
    expect(response.status).toBe(403)
    expect(await response.json()).toMatchObject({ error: 'wrong_endpoint' })
  })

  it('the N+1th failure from one address gets 429 with Retry-After; another address still gets 401; a minute later it may try again', async () => {
    const { deploy, advance, mint } = await setup({ limit: 3 })
    for (let i = 0; i < 3; i++) expect((await deploy({ 'X-Deploy-Token': 'bad' })).status).toBe(401)
    const limited = await deploy({ 'X-Deploy-Token': 'bad' })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('60')
    expect(await limited.json()).toMatchObject({ error: 'too_many_failures' })
    // Limited means limited: not even a valid token is looked at (no crypto for a flooding client).
    expect((await deploy({ 'X-Deploy-Token': await mint() })).status).toBe(429)
    expect((await deploy({ 'X-Deploy-Token': 'bad', 'X-Test-Peer': '192.0.2.2' })).status).toBe(401)
    advance(30_000)
    expect((await deploy({ 'X-Deploy-Token': 'bad' })).headers.get('retry-after')).toBe('30')
    advance(30_000)
    expect((await deploy({ 'X-Deploy-Token': 'bad' })).status).toBe(401)
  })

  it('ignores X-Forwarded-For unless behind a proxy', async () => {
    const direct = await setup({ limit: 2 })
    await direct.deploy({ 'X-Deploy-Token': 'bad', 'X-Forwarded-For': '203.0.113.1' })
    await direct.deploy({ 'X-Deploy-Token': 'bad', 'X-Forwarded-For': '203.0.113.2' })
    expect((await direct.deploy({ 'X-Deploy-Token': 'bad', 'X-Forwarded-For': '203.0.113.3' })).status).toBe(429)

    const proxied = await setup({ limit: 2, behindProxy: true })
    const from = (address: string) => proxied.deploy({ 'X-Deploy-Token': 'bad', 'X-Forwarded-For': `198.51.100.7, ${address}` })
    await from('203.0.113.1')
    await from('203.0.113.1')
    expect((await from('203.0.113.1')).status).toBe(429)
    // The client-written first entry does not matter, only the one the proxy appended.
    expect((await from('203.0.113.2')).status).toBe(401)
    expect((await proxied.deploy({ 'X-Deploy-Token': 'bad', 'X-Forwarded-For': '198.51.100.7, [2001:db8::1]:443' })).status).toBe(401)
  })

  it('logs the reason and the client of each rejection, never the token', async () => {
    const { mint, deploy, lines } = await setup({ limit: 2 })
    const token = await mint()
    const tampered = `${token.slice(0, 40)}${token[40] === 'A' ? 'B' : 'A'}${token.slice(41)}`
    await deploy({ 'X-Deploy-Token': tampered })
    await deploy({ Authorization: `Bearer ${token.replace('v4.public', 'v4.local')}` })
    await deploy({ 'X-Deploy-Token': tampered })
    expect(lines.some((line) => line.includes('bad_signature') && line.includes('192.0.2.1'))).toBe(true)
    expect(lines.some((line) => line.includes('failed-authentication limit'))).toBe(true)
    const payload = token.split('.')[2]!
    for (const line of lines) expect(line).not.toContain(payload.slice(10, 40))
  })
})
