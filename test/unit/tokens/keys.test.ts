import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { blake2b } from '../../../src/tokens/blake2b.ts'
import { generateSecretPaserk, importSigningKey, importVerificationKey, isKeyId, keyIdOf, legacyKeyToPaserk, type PublicPaserk } from '../../../src/tokens/keys.ts'
import { legacyKey } from '../../support/legacy-token.ts'

describe('blake2b', () => {
  it('matches RFC 7693 appendix A (BLAKE2b-512 of "abc")', () => {
    expect(Buffer.from(blake2b(Buffer.from('abc'), 64)).toString('hex')).toBe(
      'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923',
    )
  })

  it.each([0, 1, 111, 127, 128, 129, 256, 1000])('matches node:crypto blake2b512 for %i random bytes (block edges included)', (length) => {
    const input = randomBytes(length)
    expect(Buffer.from(blake2b(input, 64)).toString('hex')).toBe(createHash('blake2b512').update(input).digest('hex'))
  })

  it('treats the output length as a parameter, not a truncation', () => {
    expect(Buffer.from(blake2b(Buffer.from('abc'), 33))).not.toEqual(Buffer.from(blake2b(Buffer.from('abc'), 64)).subarray(0, 33))
  })

  it('refuses output lengths outside 1..64', () => {
    expect(() => blake2b(new Uint8Array(), 0)).toThrow(RangeError)
    expect(() => blake2b(new Uint8Array(), 65)).toThrow(RangeError)
  })
})

describe('PASERK k4 key ids', () => {
  // Test vectors k4.pid-1..3 of the PASERK specification (test-vectors/k4.pid.json).
  it.each([
    ['k4.public.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'k4.pid.S_XQmeEwHbbvRmiyfXfHYpLGjXGzjTRSDoT1YtTakWFE'],
    ['k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8', 'k4.pid.9ShR3xc8-qVJ_di0tc9nx0IDIqbatdeM2mqLFBJsKRHs'],
    ['k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjpA', 'k4.pid.-nyvbaTz8U6TQz7OZWW-iB3va31iAxIpUgzUcVQVmW9A'],
  ])('%s → %s', async (publicKey, kid) => {
    expect(await keyIdOf(publicKey as PublicPaserk)).toBe(kid)
    expect(isKeyId(kid)).toBe(true)
  })

  it('derives the same id from a secret key as from its public key', async () => {
    const signer = await importSigningKey(await generateSecretPaserk())
    const verifier = await importVerificationKey(signer.publicKey)
    expect(verifier.kid).toBe(signer.kid)
    expect(signer.kid).toMatch(/^k4\.pid\.[A-Za-z0-9_-]{44}$/)
  })
})

describe('legacyKeyToPaserk', () => {
  it("turns docker-deploy-api's key.pem into a k4.secret that imports to the same public key", async () => {
    const key = legacyKey()
    const converted = legacyKeyToPaserk(`${key.pem}\n`)
    if (!converted.ok) throw new Error(converted.message)
    const signer = await importSigningKey(converted.secret)
    const x = key.privateKey.export({ format: 'jwk' }).x!
    expect(signer.publicKey).toBe(`k4.public.${x}`)
  })

  it('tolerates PEM armour lines around the base64', () => {
    const key = legacyKey()
    expect(legacyKeyToPaserk(`-----BEGIN KEY-----\n${key.pem.slice(0, 40)}\n${key.pem.slice(40)}\n-----END KEY-----\n`).ok).toBe(true)
  })

  it('refuses text that is not base64 or not 64 bytes', () => {
    expect(legacyKeyToPaserk('not base64 at all!')).toEqual({ ok: false, message: expect.stringContaining('not base64') })
    expect(legacyKeyToPaserk(Buffer.alloc(32).toString('base64'))).toEqual({ ok: false, message: expect.stringContaining('32 bytes') })
  })

  it('yields a key that fails to import when its public half is not its own', async () => {
    const a = Buffer.from(legacyKey().pem, 'base64')
    const b = Buffer.from(legacyKey().pem, 'base64')
    const mixed = legacyKeyToPaserk(Buffer.concat([a.subarray(0, 32), b.subarray(32)]).toString('base64'))
    if (!mixed.ok) throw new Error(mixed.message)
    await expect(importSigningKey(mixed.secret)).rejects.toThrow(/public key/)
  })
})
