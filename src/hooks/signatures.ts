/*
 * HMAC-SHA256 signatures of webhook deliveries with Web Crypto (src/ runs in workerd: no node:crypto).
 * Every comparison of a presented signature is constant-time over the decoded bytes.
 */
import { fromBase64, toHex } from '../tokens/encoding.ts'

const encoder = new TextEncoder()
const HEX = /^(?:[0-9a-f]{2})*$/i

type Bytes = Uint8Array | string

function bytesOf(value: Bytes): Uint8Array<ArrayBuffer> {
  return typeof value === 'string' ? encoder.encode(value) : new Uint8Array(value)
}

/** HMAC-SHA256 of `message` under `key` (text is taken as its UTF-8 bytes). */
export async function hmacSha256(key: Bytes, message: Bytes): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey('raw', bytesOf(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, bytesOf(message)))
}

/**
 * Lower-case hex HMAC-SHA256, the form GitHub (`sha256=<hex>`) and Gitea/Forgejo (bare hex) send.
 *
 * @example
 * await hmacSha256Hex("It's a Secret to Everybody", 'Hello, World!') // '757107ea…8b043e17'
 */
export async function hmacSha256Hex(key: Bytes, message: Bytes): Promise<string> {
  return toHex(await hmacSha256(key, message))
}

/**
 * Equal-length byte arrays compared without an early exit, so the time taken does not tell how many
 * leading bytes of a forged signature were right. A length difference is not secret (every
 * signature of one scheme has the same length) and is answered at once.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}

/** Whether `presentedHex` (either case) is the HMAC-SHA256 of `message` under `key`. */
export async function verifyHexSignature(key: Bytes, message: Bytes, presentedHex: string): Promise<boolean> {
  const presented = fromHex(presentedHex)
  return presented !== undefined && timingSafeEqual(await hmacSha256(key, message), presented)
}

/** Whether `presentedBase64` is the standard-base64 HMAC-SHA256 of `message` under `key`. */
export async function verifyBase64Signature(key: Bytes, message: Bytes, presentedBase64: string): Promise<boolean> {
  const presented = fromBase64(presentedBase64)
  return presented !== undefined && timingSafeEqual(await hmacSha256(key, message), presented)
}

function fromHex(text: string): Uint8Array | undefined {
  if (!HEX.test(text)) return undefined
  const bytes = new Uint8Array(text.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16)
  return bytes
}
