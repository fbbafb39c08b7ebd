/*
 * Byte encodings for src/, which has no Buffer: btoa/atob work on "binary strings" (one char per byte).
 * Uint8Array.fromBase64/toBase64 would do this natively but are not in every runtime yet.
 */

const BASE64URL = /^[A-Za-z0-9_-]*$/
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Unpadded base64url (RFC 4648 §5), the alphabet PASETO and PASERK use. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Standard padded base64 (RFC 4648 §4). */
export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  // Spreading a large array into fromCharCode overflows the stack; 32 KiB chunks do not.
  for (let offset = 0; offset < bytes.length; offset += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000))
  }
  return btoa(binary)
}

/** Decodes unpadded base64url; undefined for anything that is not its canonical encoding. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined
  const bytes = fromBinary(atob(text.replace(/-/g, '+').replace(/_/g, '/')))
  // Non-canonical trailing bits would let two strings decode to the same bytes.
  return toBase64Url(bytes) === text ? bytes : undefined
}

/** Decodes standard base64, padding optional; undefined when the text is not base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) return undefined
  try {
    return fromBinary(atob(text))
  } catch {
    return undefined
  }
}

export function toHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}

function fromBinary(binary: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
