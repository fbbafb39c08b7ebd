/*
 * Deploy-token keys as PASERK strings (https://github.com/paseto-standard/paserk): `k4.secret.…`
 * (the 64-byte Ed25519 secret key: seed then public key), `k4.public.…`, and the key id
 * `k4.pid.…` that tokens carry in their footer. Runtime-agnostic: the agent stores these strings
 * in its data directory, the edge receives the public ones as secrets.
 */
import { PublicKeyID, PublicProtocol } from 'paseto'
import {
  ExportPublicKeyFactory,
  ExportSecretKeyFactory,
  GenerateKeyPairFactory,
  GetPublicKeyFactory,
  ImportPublicKeyFactory,
  ImportSecretKeyFactory,
  type PublicKey,
  type SecretKey,
} from 'paseto/v4/public'
import { blake2b } from './blake2b.ts'
import { fromBase64, toBase64Url } from './encoding.ts'

export type SecretPaserk = `k4.secret.${string}`
export type PublicPaserk = `k4.public.${string}`
export type KeyId = `k4.pid.${string}`

/** A key that signs deploy tokens, with the id that goes into their footer. */
export interface SigningKey {
  kid: KeyId
  /** The matching `k4.public.…`, to show and to hand to an edge gateway. */
  publicKey: PublicPaserk
  key: SecretKey
}

/** A key that verifies deploy tokens; imported once and kept (Web Crypto imports are not free). */
export interface VerificationKey {
  kid: KeyId
  publicKey: PublicPaserk
  key: PublicKey
}

const encoder = new TextEncoder()

// PASERK ID for k4 (operations/ID.md): "k4.pid." + base64url(BLAKE2b-264("k4.pid." + paserk)).
// paseto leaves k4 ids to the extension API because Web Crypto has no BLAKE2b.
const PublicKeyIDFactory = PublicKeyID({
  version: 4,
  run: async (paserk) => `k4.pid.${toBase64Url(blake2b(encoder.encode(`k4.pid.${paserk}`), 33))}` as const,
})

const v4 = new PublicProtocol(
  GenerateKeyPairFactory,
  ImportSecretKeyFactory,
  ExportSecretKeyFactory,
  ImportPublicKeyFactory,
  ExportPublicKeyFactory,
  GetPublicKeyFactory,
  PublicKeyIDFactory,
)

const KEY_ID = /^k4\.pid\.[A-Za-z0-9_-]{44}$/
const SECRET_PASERK = /^k4\.secret\.[A-Za-z0-9_-]{86}$/
const PUBLIC_PASERK = /^k4\.public\.[A-Za-z0-9_-]{43}$/

/** Whether `text` has the shape of a k4 public key id (cheap; used before any lookup). */
export function isKeyId(text: string): text is KeyId {
  return KEY_ID.test(text)
}

export function isSecretPaserk(text: string): text is SecretPaserk {
  return SECRET_PASERK.test(text)
}

export function isPublicPaserk(text: string): text is PublicPaserk {
  return PUBLIC_PASERK.test(text)
}

/**
 * The PASERK key id of a public key.
 *
 * @example
 * await keyIdOf('k4.public.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') // 'k4.pid.S_XQmeEwHbbvRmiyfXfHYpLGjXGzjTRSDoT1YtTakWFE'
 */
export async function keyIdOf(publicKey: PublicPaserk): Promise<KeyId> {
  return await v4.PublicKeyID(publicKey)
}

/** A fresh Ed25519 key pair as PASERK strings; the secret is what the data directory stores. */
export async function generateSecretPaserk(): Promise<SecretPaserk> {
  const pair = await v4.GenerateKeyPair({ extractable: true })
  return await v4.ExportSecretKey(pair.secretKey)
}

/**
 * Imports a `k4.secret` PASERK for signing. Throws paseto's InvalidKeyError/InvalidPASERKError when
 * the text is not a valid key (including a secret whose second half is not its public key).
 */
export async function importSigningKey(secret: SecretPaserk): Promise<SigningKey> {
  const key = await v4.ImportSecretKey(secret)
  const publicKey = await v4.ExportPublicKey(await v4.GetPublicKey(key))
  return { kid: await keyIdOf(publicKey), publicKey, key }
}

/** Imports a `k4.public` PASERK for verification. */
export async function importVerificationKey(publicKey: PublicPaserk): Promise<VerificationKey> {
  const key = await v4.ImportPublicKey(publicKey)
  return { kid: await keyIdOf(publicKey), publicKey, key }
}

/**
 * Converts docker-deploy-api's `key.pem` (base64 of the 64-byte Ed25519 secret key, seed then public
 * key; no PEM armour in practice, tolerated anyway) into a `k4.secret` PASERK, which is the same
 * bytes in base64url. The result still has to pass {@link importSigningKey}, which checks that the
 * public half belongs to the seed.
 */
export function legacyKeyToPaserk(text: string): { ok: true; secret: SecretPaserk } | { ok: false; message: string } {
  const body = text
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('-----'))
    .join('')
    .replace(/\s+/g, '')
  const bytes = fromBase64(body)
  if (!bytes) return { ok: false, message: 'the key file is not base64' }
  if (bytes.length !== 64) return { ok: false, message: `the key file holds ${bytes.length} bytes; a docker-deploy-api key holds 64 (Ed25519 seed and public key)` }
  return { ok: true, secret: `k4.secret.${toBase64Url(bytes)}` }
}
