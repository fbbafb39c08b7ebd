import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hookSecretFor } from '../../../src/tokens/hook-secret.ts'

describe('hookSecretFor', () => {
  it('is base64url(HMAC-SHA256(hook key, "hook:" + jti))', async () => {
    const key = randomBytes(32)
    const expected = createHmac('sha256', key).update('hook:abc123').digest('base64url')
    expect(await hookSecretFor(new Uint8Array(key), 'abc123')).toBe(expected)
  })

  it('differs per jti and per hook key', async () => {
    const key = new Uint8Array(randomBytes(32))
    const secret = await hookSecretFor(key, 'one')
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(await hookSecretFor(key, 'two')).not.toBe(secret)
    expect(await hookSecretFor(new Uint8Array(randomBytes(32)), 'one')).not.toBe(secret)
  })
})
