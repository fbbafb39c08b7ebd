import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fromBase64, fromBase64Url, toBase64, toBase64Url, toHex } from '../../../src/tokens/encoding.ts'

describe('base64url and base64', () => {
  it.each([0, 1, 2, 3, 4, 31, 32, 33, 64, 1000, 70_000])('round-trips %i random bytes like Buffer does', (length) => {
    const bytes = randomBytes(length)
    const url = toBase64Url(bytes)
    expect(url).toBe(bytes.toString('base64url'))
    expect(Buffer.from(fromBase64Url(url)!)).toEqual(bytes)
    expect(toBase64(bytes)).toBe(bytes.toString('base64'))
    expect(Buffer.from(fromBase64(bytes.toString('base64'))!)).toEqual(bytes)
    expect(toHex(bytes)).toBe(bytes.toString('hex'))
  })

  it('refuses non-canonical encodings (unused bits set), impossible lengths and foreign characters', () => {
    expect(fromBase64Url('QQ')).toEqual(new Uint8Array([65]))
    expect(fromBase64Url('QR')).toBeUndefined()
    expect(fromBase64Url('QUE')).toEqual(new Uint8Array([65, 65]))
    expect(fromBase64Url('QUF')).toBeUndefined()
    expect(fromBase64Url('QUFBQ')).toBeUndefined()
    expect(fromBase64Url('QU+B')).toBeUndefined()
    expect(fromBase64Url('QQ==')).toBeUndefined()
    expect(fromBase64Url('QUé')).toBeUndefined()
    expect(fromBase64('QU-B')).toBeUndefined()
    expect(fromBase64('QQ==')).toEqual(new Uint8Array([65]))
  })
})
