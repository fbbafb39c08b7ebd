/*
 * The signing key ring in DATA_DIR:
 *
 *   keys/                        0700
 *   keys/keyring.json            the index: {"current": kid, "keys": [{kid, publicKey, created, retired?, source}]}
 *   keys/<id>.k4.secret          PASERK k4.secret of each key that is not retired; <id> is its kid
 *                                without the "k4.pid." prefix (base64url, so safe as a file name)
 *   key.pem                      docker-deploy-api's key; imported as the current key when the ring
 *                                is created, so pointing dockhook at an old data dir keeps its tokens working
 *
 * Every file is 0600 and written atomically; the index is written after the secret files it names
 * and before a retired key's secret is deleted, so a reader never sees a kid without its key.
 * Verification needs only the public keys, which the index carries.
 */
import { mkdir, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { PasetoError } from 'paseto'
import { z } from 'zod'
import {
  generateSecretPaserk,
  importSigningKey,
  importVerificationKey,
  isKeyId,
  isPublicPaserk,
  isSecretPaserk,
  legacyKeyToPaserk,
  type KeyId,
  type PublicPaserk,
  type SecretPaserk,
  type SigningKey,
  type VerificationKey,
} from '../../src/tokens/keys.ts'
import type { KeyRingView } from '../../src/tokens/verify.ts'
import { createFileExclusive, fileVersion, isErrorCode, writeFileAtomic } from './atomic.ts'
import { readJsonFile } from './json-file.ts'
import { refreshOnChange } from './refresh.ts'

/** One key of the ring, as `key show` lists it. */
export interface KeyInfo {
  kid: KeyId
  /** `k4.public.…`: what an edge gateway needs to verify this key's tokens. */
  publicKey: PublicPaserk
  created: string
  /** Signs new tokens. Exactly one key is current. */
  current: boolean
  /** When it stopped verifying; absent while it still verifies. */
  retired?: string | undefined
  source: 'generated' | 'imported'
}

export interface KeyRing extends KeyRingView {
  /** The key that signs new tokens. */
  current(): SigningKey
  /** Makes a new current key; the previous one keeps verifying until retired. */
  rotate(): Promise<KeyInfo>
  /** Stops accepting tokens signed by `kid` and deletes its secret. The current key cannot be retired. */
  retire(kid: string): Promise<void>
  /** Adds docker-deploy-api's key (the text of its key.pem) as a verifying key. Idempotent. */
  importLegacyPem(pemText: string): Promise<KeyInfo>
  /** Every key, retired ones included, oldest first. */
  list(): KeyInfo[]
  /** Re-reads the index if it changed on disk (another process rotated, retired, imported); true if it did. */
  refresh(): Promise<boolean>
}

/** An expected failure of a key-ring operation, with a message that is safe to print. */
export class KeyRingError extends Error {
  override name = 'KeyRingError'
  readonly code: 'unknown_key' | 'current_key' | 'invalid_key' | 'corrupt'

  constructor(code: KeyRingError['code'], message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

export const LEGACY_KEY_FILE = 'key.pem'
const INDEX_FILE = 'keyring.json'

const IndexSchema = z.object({
  current: z.string().refine(isKeyId),
  keys: z.array(
    z.object({
      kid: z.string().refine(isKeyId),
      publicKey: z.string().refine(isPublicPaserk),
      created: z.string(),
      retired: z.string().optional(),
      source: z.enum(['generated', 'imported']),
    }),
  ),
})

type Entry = Omit<KeyInfo, 'current'>
interface Index {
  current: KeyId
  keys: Entry[]
}

interface State {
  version: string
  index: Index
  signer: SigningKey
  byId: Map<KeyId, VerificationKey>
  verifying: VerificationKey[]
}

/**
 * Opens the key ring of `dataDir`, creating it on first use (from docker-deploy-api's key.pem when
 * there is one, otherwise with a fresh key).
 *
 * @example
 * const ring = await openKeyRing(config.dataDir)
 * const { token } = await mintToken(request, ring.current(), new Date())
 */
export async function openKeyRing(dataDir: string, now: () => Date = () => new Date()): Promise<KeyRing> {
  const dir = join(dataDir, 'keys')
  const indexPath = join(dir, INDEX_FILE)
  const secretPath = (kid: KeyId) => join(dir, `${kid.slice('k4.pid.'.length)}.k4.secret`)
  await mkdir(dir, { recursive: true, mode: 0o700 })

  let state = await load(undefined)
  const refresh = refreshOnChange(indexPath, { get: () => state, set: (next) => (state = next) }, load)

  async function load(previous: State | undefined): Promise<State> {
    for (;;) {
      const version = await fileVersion(indexPath)
      if (version === 'absent') {
        await create()
        continue
      }
      const index = await readIndex()
      // Replaced or removed between stat and read: look again.
      if (index === undefined) continue
      return await buildState(version, index, previous)
    }
  }

  async function readIndex(): Promise<Index | undefined> {
    const index = (await readJsonFile(indexPath, IndexSchema, { mismatch: `${indexPath} is not a key ring index`, error: (message) => new KeyRingError('corrupt', message) })) as Index | undefined
    if (index === undefined) return undefined
    const current = index.keys.find((key) => key.kid === index.current)
    if (!current || current.retired) throw new KeyRingError('corrupt', `${indexPath}: the current key is missing or retired`)
    return index
  }

  async function buildState(version: string, index: Index, previous: State | undefined): Promise<State> {
    // Web Crypto imports are reused across reloads: a refresh imports only keys it has not seen.
    const known = new Map<string, VerificationKey>(previous?.verifying.map((key) => [key.publicKey, key]))
    const verifying = await Promise.all(
      index.keys.filter((key) => !key.retired).map(async (key) => known.get(key.publicKey) ?? (await importVerificationKey(key.publicKey))),
    )
    const signer = previous?.signer.kid === index.current ? previous.signer : await readSigner(index.current)
    return { version, index, signer, verifying, byId: new Map(verifying.map((key) => [key.kid, key])) }
  }

  async function readSigner(kid: KeyId): Promise<SigningKey> {
    const text = (await readFile(secretPath(kid), 'utf8')).trim()
    if (!isSecretPaserk(text)) throw new KeyRingError('corrupt', `${secretPath(kid)} is not a k4.secret PASERK`)
    const signer = await importSigningKey(text)
    if (signer.kid !== kid) throw new KeyRingError('corrupt', `${secretPath(kid)} holds key ${signer.kid}, not ${kid}`)
    return signer
  }

  /** First use: the ring starts from docker-deploy-api's key when the data dir has one. */
  async function create(): Promise<void> {
    const legacy = await readFile(join(dataDir, LEGACY_KEY_FILE), 'utf8').catch((error: unknown) => {
      if (isErrorCode(error, 'ENOENT')) return undefined
      throw error
    })
    const secret = legacy === undefined ? await generateSecretPaserk() : legacySecret(legacy)
    const signer = await importSecret(secret)
    await writeFileAtomic(secretPath(signer.kid), secret)
    const entry: Entry = { kid: signer.kid, publicKey: signer.publicKey, created: now().toISOString(), source: legacy === undefined ? 'generated' : 'imported' }
    const created = await createFileExclusive(indexPath, serialize({ current: signer.kid, keys: [entry] }))
    if (!created) {
      // Another process created the ring first; ours is only an orphan unless it is the same key.
      const winner = await readIndex()
      if (!winner?.keys.some((key) => key.kid === signer.kid)) await unlink(secretPath(signer.kid)).catch(() => {})
    }
  }

  async function save(index: Index): Promise<void> {
    await writeFileAtomic(indexPath, serialize(index))
    state = await buildState(await fileVersion(indexPath), index, state)
  }

  const info = (entry: Entry): KeyInfo => ({ ...entry, current: entry.kid === state.index.current })

  return {
    find: (kid) => state.byId.get(kid),
    verifying: () => state.verifying,
    current: () => state.signer,
    list: () => state.index.keys.map(info),
    refresh,

    async rotate() {
      await refresh()
      const secret = await generateSecretPaserk()
      const signer = await importSigningKey(secret)
      await writeFileAtomic(secretPath(signer.kid), secret)
      const entry: Entry = { kid: signer.kid, publicKey: signer.publicKey, created: now().toISOString(), source: 'generated' }
      await save({ current: signer.kid, keys: [...state.index.keys, entry] })
      return info(entry)
    },

    async retire(kid) {
      await refresh()
      const entry = state.index.keys.find((key) => key.kid === kid)
      if (!entry) throw new KeyRingError('unknown_key', `no key ${kid} in this key ring`)
      if (entry.kid === state.index.current) throw new KeyRingError('current_key', `${kid} is the current signing key; rotate to a new key before retiring it`)
      if (entry.retired) return
      const retired = now().toISOString()
      await save({ ...state.index, keys: state.index.keys.map((key) => (key.kid === kid ? { ...key, retired } : key)) })
      await unlink(secretPath(entry.kid)).catch((error: unknown) => {
        if (!isErrorCode(error, 'ENOENT')) throw error
      })
    },

    async importLegacyPem(pemText) {
      await refresh()
      const secret = legacySecret(pemText)
      const signer = await importSecret(secret)
      await writeFileAtomic(secretPath(signer.kid), secret)
      const existing = state.index.keys.find((key) => key.kid === signer.kid)
      // Importing a key that was retired is a clear wish to accept its tokens again.
      const entry: Entry = existing ? withoutRetired(existing) : { kid: signer.kid, publicKey: signer.publicKey, created: now().toISOString(), source: 'imported' }
      if (!existing || existing.retired) {
        await save({ ...state.index, keys: existing ? state.index.keys.map((key) => (key.kid === entry.kid ? entry : key)) : [...state.index.keys, entry] })
      }
      return info(entry)
    },
  }
}

function legacySecret(text: string): SecretPaserk {
  const converted = legacyKeyToPaserk(text)
  if (!converted.ok) throw new KeyRingError('invalid_key', `not a docker-deploy-api key: ${converted.message}`)
  return converted.secret
}

/** Imports a secret, turning "its public half belongs to another seed" into a message a user can act on. */
async function importSecret(secret: SecretPaserk): Promise<SigningKey> {
  try {
    return await importSigningKey(secret)
  } catch (error) {
    if (error instanceof PasetoError) throw new KeyRingError('invalid_key', 'not a usable Ed25519 key: its second half is not the public key of its first', { cause: error })
    throw error
  }
}

function withoutRetired({ retired: _, ...entry }: Entry): Entry {
  return entry
}

function serialize(index: Index): string {
  return `${JSON.stringify(index, null, 2)}\n`
}
