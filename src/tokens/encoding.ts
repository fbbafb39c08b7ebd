/*
 * Byte encodings for src/, which has no Buffer. Uint8Array.fromBase64/toBase64 would do this
 * natively but are not in every runtime yet (not in Node 24).
 */

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

const URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const URL_VALUES = valueTable(URL_ALPHABET)
const STANDARD_VALUES = valueTable(URL_ALPHABET.slice(0, 62) + '+/')

/**
 * Decodes unpadded base64url; undefined for anything that is not its canonical encoding (unused
 * trailing bits must be zero, or two strings would decode to the same bytes). A table decoder, not
 * atob: every token presented to the agent goes through here, and atob is several times slower.
 */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  return decode(text, URL_VALUES)
}

/** Decodes standard base64, padding optional; undefined when the text is not base64. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  return decode(text.replace(/={1,2}$/, ''), STANDARD_VALUES)
}

function decode(text: string, values: Int8Array): Uint8Array<ArrayBuffer> | undefined {
  if (text.length % 4 === 1) return undefined
  const out = new Uint8Array((text.length * 3) >> 2)
  let buffer = 0
  let bits = 0
  let index = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const value = code < 128 ? values[code]! : -1
    if (value < 0) return undefined
    buffer = (buffer << 6) | value
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[index++] = buffer >> bits
      buffer &= (1 << bits) - 1
    }
  }
  return buffer === 0 ? out : undefined
}

function valueTable(alphabet: string): Int8Array {
  const table = new Int8Array(128).fill(-1)
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i
  return table
}

export function toHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}
