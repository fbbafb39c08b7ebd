/*
 * BLAKE2b (RFC 7693), unkeyed, with any output length from 1 to 64 bytes. PASERK k4 key ids need
 * BLAKE2b-264, which neither Web Crypto nor node:crypto (fixed blake2b512 only) offers; the output
 * length is a parameter of the hash, so truncating BLAKE2b-512 would give a different value.
 * Only key ids are hashed (a few short strings at load time), so BigInt clarity beats speed here.
 */

const IV = [
  0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
]

// RFC 7693 §2.7: the message word permutation of each round (rounds 10 and 11 reuse 0 and 1).
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
] as const

const BLOCK_BYTES = 128
const MASK_64 = 0xffffffffffffffffn

/** BLAKE2b of `input` with an `outputLength`-byte digest (1–64). */
export function blake2b(input: Uint8Array, outputLength: number): Uint8Array {
  if (!Number.isInteger(outputLength) || outputLength < 1 || outputLength > 64) {
    throw new RangeError('BLAKE2b output length must be 1 to 64 bytes')
  }
  const h = BigUint64Array.from(IV)
  // Parameter block: digest length, key length 0, fanout 1, depth 1 (RFC 7693 §2.5).
  h[0] = h[0]! ^ 0x01010000n ^ BigInt(outputLength)

  const blocks = Math.max(1, Math.ceil(input.length / BLOCK_BYTES))
  const block = new Uint8Array(BLOCK_BYTES)
  for (let index = 0; index < blocks; index++) {
    const start = index * BLOCK_BYTES
    const chunk = input.subarray(start, start + BLOCK_BYTES)
    block.fill(0)
    block.set(chunk)
    const last = index === blocks - 1
    compress(h, block, BigInt(start + chunk.length), last)
  }

  const out = new Uint8Array(64)
  const view = new DataView(out.buffer)
  for (let i = 0; i < 8; i++) view.setBigUint64(i * 8, h[i]!, true)
  return out.slice(0, outputLength)
}

function compress(h: BigUint64Array, block: Uint8Array, bytesSoFar: bigint, last: boolean): void {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength)
  const m = new BigUint64Array(16)
  for (let i = 0; i < 16; i++) m[i] = view.getBigUint64(i * 8, true)

  const v = new BigUint64Array(16)
  v.set(h)
  v.set(IV, 8)
  v[12] = v[12]! ^ (bytesSoFar & MASK_64)
  v[13] = v[13]! ^ (bytesSoFar >> 64n)
  if (last) v[14] = ~v[14]! & MASK_64

  // Storing into a BigUint64Array reduces modulo 2^64, which is the arithmetic BLAKE2b wants.
  const mix = (a: number, b: number, c: number, d: number, x: bigint, y: bigint) => {
    v[a] = v[a]! + v[b]! + x
    v[d] = rotateRight(v[d]! ^ v[a]!, 32n)
    v[c] = v[c]! + v[d]!
    v[b] = rotateRight(v[b]! ^ v[c]!, 24n)
    v[a] = v[a]! + v[b]! + y
    v[d] = rotateRight(v[d]! ^ v[a]!, 16n)
    v[c] = v[c]! + v[d]!
    v[b] = rotateRight(v[b]! ^ v[c]!, 63n)
  }

  for (let round = 0; round < 12; round++) {
    const s = SIGMA[round % 10]!
    mix(0, 4, 8, 12, m[s[0]]!, m[s[1]]!)
    mix(1, 5, 9, 13, m[s[2]]!, m[s[3]]!)
    mix(2, 6, 10, 14, m[s[4]]!, m[s[5]]!)
    mix(3, 7, 11, 15, m[s[6]]!, m[s[7]]!)
    mix(0, 5, 10, 15, m[s[8]]!, m[s[9]]!)
    mix(1, 6, 11, 12, m[s[10]]!, m[s[11]]!)
    mix(2, 7, 8, 13, m[s[12]]!, m[s[13]]!)
    mix(3, 4, 9, 14, m[s[14]]!, m[s[15]]!)
  }
  for (let i = 0; i < 8; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 8]!
}

function rotateRight(x: bigint, bits: bigint): bigint {
  return (x >> bits) | ((x << (64n - bits)) & MASK_64)
}
