import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openRevocations, RevocationsError } from '../../../agent/store/revocations.ts'
import { generateSecretPaserk, importSigningKey } from '../../../src/tokens/keys.ts'
import { mintToken } from '../../../src/tokens/mint.ts'
import { legacyKey, legacyToken } from '../../support/legacy-token.ts'
import { useTempDirs } from '../../support/temp-dir.ts'

const tempDir = useTempDirs()
const sha512 = (text: string) => createHash('sha512').update(text).digest('hex')

async function ourToken() {
  const signer = await importSigningKey(await generateSecretPaserk())
  return await mintToken({ containerNames: ['web'], action: 'restart', cleanup: false, expiresIn: 3600 }, signer, new Date())
}

describe('openRevocations', () => {
  it('starts empty without a file', async () => {
    const revocations = await openRevocations(await tempDir())
    expect(revocations.isRevoked('some-jti', 'v4.public.x')).toBe(false)
  })

  it('revokes by jti and writes the jti to revoked-tokens.json', async () => {
    const dataDir = await tempDir()
    const revocations = await openRevocations(dataDir)
    await revocations.revoke({ jti: 'jti-1' })
    expect(revocations.isRevoked('jti-1', 'v4.public.x')).toBe(true)
    expect(revocations.isRevoked('jti-2', 'v4.public.x')).toBe(false)
    expect(JSON.parse(await readFile(join(dataDir, 'revoked-tokens.json'), 'utf8'))).toEqual(['jti-1'])
  })

  it('revokes one of our tokens by its jti claim when given the whole token', async () => {
    const dataDir = await tempDir()
    const { token, claims } = await ourToken()
    const revocations = await openRevocations(dataDir)
    expect(await revocations.revoke({ token })).toEqual({ jti: claims.jti })
    expect(revocations.isRevoked(claims.jti, token)).toBe(true)
    expect(JSON.parse(await readFile(join(dataDir, 'revoked-tokens.json'), 'utf8'))).toEqual([claims.jti])
  })

  it("revokes a docker-deploy-api token by its sha512 digest, the entry docker-deploy-api itself writes", async () => {
    const dataDir = await tempDir()
    const token = legacyToken(legacyKey(), { containerNames: ['web'], action: 0, cleanup: true })
    const revocations = await openRevocations(dataDir)
    expect(await revocations.revoke({ token })).toEqual({ jti: sha512(token) })
    expect(JSON.parse(await readFile(join(dataDir, 'revoked-tokens.json'), 'utf8'))).toEqual([sha512(token)])
  })

  it("reads docker-deploy-api's file: digests of whole tokens match any token with that digest", async () => {
    const dataDir = await tempDir()
    const { token, claims } = await ourToken()
    await writeFile(join(dataDir, 'revoked-tokens.json'), JSON.stringify([sha512(token).toUpperCase()]))
    const revocations = await openRevocations(dataDir)
    expect(revocations.isRevoked(claims.jti, token)).toBe(true)
    expect(revocations.isRevoked(claims.jti, `${token}x`)).toBe(false)
  })

  it('keeps earlier entries, including ones another process wrote meanwhile', async () => {
    const dataDir = await tempDir()
    const cli1 = await openRevocations(dataDir)
    const cli2 = await openRevocations(dataDir)
    await cli1.revoke({ jti: 'a' })
    await cli2.revoke({ jti: 'b' })
    await cli2.revoke({ jti: 'b' })
    expect(JSON.parse(await readFile(join(dataDir, 'revoked-tokens.json'), 'utf8'))).toEqual(['a', 'b'])
  })

  it('refresh picks up another process\'s revocation; nothing changes without a change on disk', async () => {
    const dataDir = await tempDir()
    const agent = await openRevocations(dataDir)
    const cli = await openRevocations(dataDir)
    expect(await agent.refresh()).toBe(false)
    await cli.revoke({ jti: 'later' })
    expect(agent.isRevoked('later', 'v4.public.x')).toBe(false)
    expect(await agent.refresh()).toBe(true)
    expect(agent.isRevoked('later', 'v4.public.x')).toBe(true)
    expect(await agent.refresh()).toBe(false)
  })

  it('a broken file: refused at open; while running, the last good list stays in force and the error is reported once', async () => {
    const dataDir = await tempDir()
    const path = join(dataDir, 'revoked-tokens.json')
    await writeFile(path, '{"not": "a list"}')
    await expect(openRevocations(dataDir)).rejects.toThrow(RevocationsError)

    await writeFile(path, '["kept"]')
    const agent = await openRevocations(dataDir)
    await writeFile(path, '["kept", "half-writ')
    await expect(agent.refresh()).rejects.toThrow(RevocationsError)
    expect(await agent.refresh()).toBe(false)
    expect(agent.isRevoked('kept', 'v4.public.x')).toBe(true)
  })

  it('needs a jti or a token', async () => {
    const revocations = await openRevocations(await tempDir())
    await expect(revocations.revoke({})).rejects.toThrow(RevocationsError)
  })
})
