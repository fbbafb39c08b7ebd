/**
 * docker-deploy-api's keys and tokens, made the way it made them (panva/paseto 3 on node:crypto),
 * independently of the code under test: a `key.pem` holding base64(seed ‖ public key), and v4.public
 * tokens without footer whose claims are `containerNames`, a numeric `action` and `cleanup`.
 */
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'

export interface LegacyKey {
  /** The content of docker-deploy-api's data/key.pem. */
  pem: string
  privateKey: KeyObject
}

export function legacyKey(): LegacyKey {
  const { privateKey } = generateKeyPairSync('ed25519')
  const jwk = privateKey.export({ format: 'jwk' })
  const bytes = Buffer.concat([Buffer.from(jwk.d!, 'base64url'), Buffer.from(jwk.x!, 'base64url')])
  return { pem: bytes.toString('base64'), privateKey: createPrivateKey({ key: jwk, format: 'jwk' }) }
}

/** A token as docker-deploy-api's `generateDeployToken` signed it: iat with milliseconds, exp from expiresIn. */
export function legacyToken(
  key: LegacyKey,
  claims: { containerNames: string[]; action: 0 | 1 | 2; cleanup: boolean },
  { now = new Date(), expiresInMs = 999 * 365 * 86_400_000 }: { now?: Date; expiresInMs?: number } = {},
): string {
  const payload = Buffer.from(JSON.stringify({ ...claims, iat: now.toISOString(), exp: new Date(now.getTime() + expiresInMs).toISOString() }))
  // PASETO v4.public signs PAE(header, message, footer, implicit assertion); both of the last are empty.
  const signature = sign(null, pae([Buffer.from('v4.public.'), payload, Buffer.alloc(0), Buffer.alloc(0)]), key.privateKey)
  return `v4.public.${Buffer.concat([payload, signature]).toString('base64url')}`
}

function pae(pieces: Buffer[]): Buffer {
  const le64 = (n: number) => {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt(n))
    return b
  }
  return Buffer.concat([le64(pieces.length), ...pieces.flatMap((piece) => [le64(piece.length), piece])])
}
