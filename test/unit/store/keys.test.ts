import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KeyRingError, openKeyRing } from '../../../agent/store/keys.ts'
import { mintToken } from '../../../src/tokens/mint.ts'
import { createTokenVerifier } from '../../../src/tokens/verify.ts'
import { legacyKey, legacyToken } from '../../support/legacy-token.ts'
import { useTempDirs } from '../../support/temp-dir.ts'

const tempDir = useTempDirs()
const neverRevoked = { isRevoked: () => false }
const request = { containerNames: ['web'], action: 'restart', cleanup: false, expiresIn: 3600 } as const

async function modes(dir: string): Promise<Record<string, number>> {
  const entries: Record<string, number> = {}
  for (const name of await readdir(dir)) entries[name] = (await stat(join(dir, name))).mode & 0o777
  return entries
}

describe('openKeyRing', () => {
  it('creates a signing key on first use: k4.secret in keys/, mode 0600, directory 0700', async () => {
    const dataDir = await tempDir()
    const ring = await openKeyRing(dataDir)
    const keysDir = join(dataDir, 'keys')
    const current = ring.current()
    expect((await stat(keysDir)).mode & 0o777).toBe(0o700)
    const files = await modes(keysDir)
    const secretFile = `${current.kid.slice('k4.pid.'.length)}.k4.secret`
    expect(files).toEqual({ 'keyring.json': 0o600, [secretFile]: 0o600 })
    expect(await readFile(join(keysDir, secretFile), 'utf8')).toMatch(/^k4\.secret\.[A-Za-z0-9_-]{86}$/)
    expect(ring.list()).toEqual([{ kid: current.kid, publicKey: current.publicKey, created: expect.any(String), current: true, source: 'generated' }])
  })

  it('opens the same key again (another process, a restart)', async () => {
    const dataDir = await tempDir()
    const first = await openKeyRing(dataDir)
    const second = await openKeyRing(dataDir)
    expect(second.current().kid).toBe(first.current().kid)
  })

  it('agrees on one key when several processes create the ring at once', async () => {
    const dataDir = await tempDir()
    const rings = await Promise.all([openKeyRing(dataDir), openKeyRing(dataDir), openKeyRing(dataDir)])
    const reopened = await openKeyRing(dataDir)
    // The losers' rings may hold their own key in memory, but the ring on disk names one, and its secret exists.
    expect(rings.map((ring) => ring.current().kid)).toContain(reopened.current().kid)
    expect((await readdir(join(dataDir, 'keys'))).filter((name) => name.endsWith('.k4.secret'))).toEqual([`${reopened.current().kid.slice(7)}.k4.secret`])
  })

  it("starts from docker-deploy-api's key.pem in the data dir, so its tokens keep working", async () => {
    const dataDir = await tempDir()
    const legacy = legacyKey()
    await writeFile(join(dataDir, 'key.pem'), legacy.pem)
    const ring = await openKeyRing(dataDir)
    expect(ring.list()).toMatchObject([{ current: true, source: 'imported' }])
    const verifier = createTokenVerifier({ keys: ring, revocations: neverRevoked })
    const result = await verifier.verify(legacyToken(legacy, { containerNames: ['web'], action: 1, cleanup: false }), 'deploy')
    expect(result).toMatchObject({ ok: true, claims: { action: 'recreate' } })
  })

  it('refuses a broken key.pem instead of silently making a new key', async () => {
    const dataDir = await tempDir()
    await writeFile(join(dataDir, 'key.pem'), 'garbage!')
    await expect(openKeyRing(dataDir)).rejects.toThrow(KeyRingError)
  })

  it('refuses an index that is not a key ring', async () => {
    const dataDir = await tempDir()
    await openKeyRing(dataDir)
    await writeFile(join(dataDir, 'keys', 'keyring.json'), '{"current": 1}')
    await expect(openKeyRing(dataDir)).rejects.toMatchObject({ code: 'corrupt' })
  })
})

describe('rotation and retirement', () => {
  it('after rotate, new tokens carry the new kid and tokens of the previous key still verify; after retire they do not', async () => {
    const dataDir = await tempDir()
    const ring = await openKeyRing(dataDir)
    const verifier = createTokenVerifier({ keys: ring, revocations: neverRevoked })
    const previous = ring.current()
    const old = await mintToken(request, previous, new Date())

    const rotated = await ring.rotate()
    expect(rotated).toMatchObject({ current: true, source: 'generated' })
    expect(ring.current().kid).toBe(rotated.kid)
    expect(rotated.kid).not.toBe(previous.kid)
    const fresh = await mintToken(request, ring.current(), new Date())
    expect(await verifier.verify(fresh.token, 'deploy')).toMatchObject({ ok: true, kid: rotated.kid })
    expect(await verifier.verify(old.token, 'deploy')).toMatchObject({ ok: true, kid: previous.kid })

    await ring.retire(previous.kid)
    expect(await verifier.verify(old.token, 'deploy')).toMatchObject({ ok: false, reason: 'unknown_key' })
    expect(await verifier.verify(fresh.token, 'deploy')).toMatchObject({ ok: true })
    expect(ring.list()).toMatchObject([
      { kid: previous.kid, current: false, retired: expect.any(String) },
      { kid: rotated.kid, current: true },
    ])
    // A retired key's secret is gone; its public key stays listed.
    expect(await readdir(join(dataDir, 'keys'))).not.toContain(`${previous.kid.slice(7)}.k4.secret`)
  })

  it('will not retire the current key or a key it does not have', async () => {
    const ring = await openKeyRing(await tempDir())
    await expect(ring.retire(ring.current().kid)).rejects.toMatchObject({ code: 'current_key' })
    await expect(ring.retire('k4.pid.nope')).rejects.toMatchObject({ code: 'unknown_key' })
  })

  it('another process sees a rotation and a retirement after refresh, without reopening', async () => {
    const dataDir = await tempDir()
    const agent = await openKeyRing(dataDir)
    const cli = await openKeyRing(dataDir)
    const first = agent.current().kid
    const rotated = await cli.rotate()
    expect(agent.find(rotated.kid)).toBeUndefined()
    expect(await agent.refresh()).toBe(true)
    expect(agent.find(rotated.kid)).toBeDefined()
    expect(agent.current().kid).toBe(rotated.kid)
    expect(await agent.refresh()).toBe(false)
    await cli.retire(first)
    await agent.refresh()
    expect(agent.find(first)).toBeUndefined()
    expect(agent.verifying().map((key) => key.kid)).toEqual([rotated.kid])
  })
})

describe('importLegacyPem', () => {
  it('adds a docker-deploy-api key as a verifying (not signing) key; importing again changes nothing', async () => {
    const dataDir = await tempDir()
    const ring = await openKeyRing(dataDir)
    const legacy = legacyKey()
    const token = legacyToken(legacy, { containerNames: ['web'], action: 0, cleanup: true })
    const verifier = createTokenVerifier({ keys: ring, revocations: neverRevoked })
    expect(await verifier.verify(token, 'deploy')).toMatchObject({ ok: false, reason: 'bad_signature' })

    const imported = await ring.importLegacyPem(`${legacy.pem}\n`)
    expect(imported).toMatchObject({ current: false, source: 'imported' })
    expect(ring.current().kid).not.toBe(imported.kid)
    expect(await verifier.verify(token, 'deploy')).toMatchObject({ ok: true, kid: imported.kid, claims: { action: 'pull-recreate', cleanup: true } })
    expect(await ring.importLegacyPem(legacy.pem)).toEqual(imported)
    expect(ring.list()).toHaveLength(2)
  })

  it('brings back a retired imported key', async () => {
    const ring = await openKeyRing(await tempDir())
    const legacy = legacyKey()
    const imported = await ring.importLegacyPem(legacy.pem)
    await ring.retire(imported.kid)
    expect(ring.find(imported.kid)).toBeUndefined()
    await ring.importLegacyPem(legacy.pem)
    expect(ring.find(imported.kid)).toBeDefined()
    expect(ring.list().find((key) => key.kid === imported.kid)).not.toHaveProperty('retired')
  })

  it('refuses a file that is not such a key', async () => {
    const ring = await openKeyRing(await tempDir())
    await expect(ring.importLegacyPem('not a key')).rejects.toMatchObject({ code: 'invalid_key' })
    const a = Buffer.from(legacyKey().pem, 'base64')
    const b = Buffer.from(legacyKey().pem, 'base64')
    await expect(ring.importLegacyPem(Buffer.concat([a.subarray(0, 32), b.subarray(32)]).toString('base64'))).rejects.toMatchObject({ code: 'invalid_key' })
  })
})
