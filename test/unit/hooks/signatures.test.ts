import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hmacSha256Hex, timingSafeEqual, verifyBase64Signature, verifyHexSignature } from '../../../src/hooks/signatures.ts'

// github/docs, "Validating webhook deliveries": the documented test vector.
const SECRET = "It's a Secret to Everybody"
const BODY = 'Hello, World!'
const EXPECTED = '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'

describe('hmacSha256Hex', () => {
  it("matches GitHub's documented test vector", async () => {
    expect(await hmacSha256Hex(SECRET, BODY)).toBe(EXPECTED)
  })

  it('agrees with node:crypto on random keys and binary bodies', async () => {
    const key = randomBytes(32)
    const body = randomBytes(1000)
    expect(await hmacSha256Hex(new Uint8Array(key), new Uint8Array(body))).toBe(createHmac('sha256', key).update(body).digest('hex'))
  })
})

describe('verifyHexSignature', () => {
  it('accepts the test vector, in either case', async () => {
    expect(await verifyHexSignature(SECRET, BODY, EXPECTED)).toBe(true)
    expect(await verifyHexSignature(SECRET, BODY, EXPECTED.toUpperCase())).toBe(true)
  })

  it('refuses the vector when one byte of the body, the secret or the signature changes', async () => {
    expect(await verifyHexSignature(SECRET, 'Hello, World?', EXPECTED)).toBe(false)
    expect(await verifyHexSignature("It's a Secret to Everybodz", BODY, EXPECTED)).toBe(false)
    expect(await verifyHexSignature(SECRET, BODY, `${EXPECTED.slice(0, -2)}16`)).toBe(false)
  })

  it.each([['empty', ''], ['truncated', EXPECTED.slice(0, -2)], ['not hex', EXPECTED.replace(/^../, 'zz')], ['odd length', EXPECTED.slice(1)]])(
    'refuses a %s signature',
    async (_, presented) => {
      expect(await verifyHexSignature(SECRET, BODY, presented)).toBe(false)
    },
  )
})

describe('verifyBase64Signature', () => {
  it('accepts the base64 HMAC and refuses a changed message', async () => {
    const signature = createHmac('sha256', SECRET).update(BODY).digest('base64')
    expect(await verifyBase64Signature(SECRET, BODY, signature)).toBe(true)
    expect(await verifyBase64Signature(SECRET, `${BODY} `, signature)).toBe(false)
    expect(await verifyBase64Signature(SECRET, BODY, 'not base64!')).toBe(false)
  })
})

describe('timingSafeEqual', () => {
  it('compares contents, including the last byte', () => {
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true)
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false)
    expect(timingSafeEqual(new Uint8Array([0, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(false)
    expect(timingSafeEqual(new Uint8Array([]), new Uint8Array([]))).toBe(true)
  })

  it('refuses arrays of different lengths, even when one is a prefix of the other', () => {
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false)
  })
})
