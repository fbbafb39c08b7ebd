/*
 * DATA_DIR/revoked-tokens.json: a JSON array of strings. docker-deploy-api wrote sha512 hex digests
 * of whole tokens there; dockhook adds token ids (jti). One list serves both, and either program can
 * read what the other wrote. The running agent re-reads it when it changes (see refresh).
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { z } from 'zod'
import { fromBase64Url } from '../../src/tokens/encoding.ts'
import type { RevocationsView } from '../../src/tokens/verify.ts'
import { fileVersion, writeFileAtomic } from './atomic.ts'
import { readJsonFile } from './json-file.ts'
import { refreshOnChange } from './refresh.ts'

export const REVOCATIONS_FILE = 'revoked-tokens.json'
const SHA512_HEX = /^[0-9a-f]{128}$/
const ED25519_SIGNATURE_BYTES = 64

export interface Revocations extends RevocationsView {
  /**
   * Revokes a token by its `jti`, or a whole token: then its `jti` claim is used, and for a token
   * without one (docker-deploy-api's) the sha512 hex digest of the token, which is also the id the
   * verifier gives such a token. Resolves with the id that was written.
   */
  revoke(entry: { jti?: string; token?: string }): Promise<{ jti: string }>
  /** Synchronous: a set lookup, plus one sha512 only while the file holds docker-deploy-api digests. */
  isRevoked(jti: string, token: string): boolean
  /** Re-reads the file if it changed on disk; true if it did. Keeps the last good list if the file is broken. */
  refresh(): Promise<boolean>
}

/** The revocation file cannot be read as a list of strings; the message names the file. */
export class RevocationsError extends Error {
  override name = 'RevocationsError'
}

const ListSchema = z.array(z.string())

interface State {
  version: string
  entries: Set<string>
  hasDigests: boolean
}

/**
 * @example
 * const revocations = await openRevocations(config.dataDir)
 * await revocations.revoke({ token })
 */
export async function openRevocations(dataDir: string): Promise<Revocations> {
  const path = join(dataDir, REVOCATIONS_FILE)
  let state = await load()
  const refresh = refreshOnChange(path, { get: () => state, set: (next) => (state = next) }, load)

  async function load(): Promise<State> {
    const version = await fileVersion(path)
    const list = (await readJsonFile(path, ListSchema, { mismatch: `${path} must hold a JSON array of strings`, error: (message) => new RevocationsError(message) })) ?? []
    const entries = new Set(list.map((entry) => (SHA512_HEX.test(entry.toLowerCase()) ? entry.toLowerCase() : entry)))
    return { version, entries, hasDigests: list.some((entry) => SHA512_HEX.test(entry.toLowerCase())) }
  }

  return {
    isRevoked(jti, token) {
      if (state.entries.has(jti)) return true
      return state.hasDigests && state.entries.has(sha512Hex(token))
    },
    refresh,
    async revoke({ jti, token }) {
      const id = jti ?? (token === undefined ? undefined : tokenId(token))
      if (!id) throw new RevocationsError('give a jti or a token to revoke')
      // Read what is on disk now, so a concurrent revocation by another process is kept.
      state = await load()
      if (!state.entries.has(id)) {
        await writeFileAtomic(path, `${JSON.stringify([...state.entries, id], null, 2)}\n`)
        state = await load()
      }
      return { jti: id }
    },
  }
}

/** The token's own jti claim, read without verifying (revoking a forgery does no harm), else its digest. */
function tokenId(token: string): string {
  const payload = fromBase64Url(token.split('.')[2] ?? '')
  if (payload && payload.length > ED25519_SIGNATURE_BYTES) {
    try {
      const claims: unknown = JSON.parse(new TextDecoder().decode(payload.subarray(0, -ED25519_SIGNATURE_BYTES)))
      const jti = z.object({ jti: z.string().min(1) }).safeParse(claims)
      if (jti.success) return jti.data.jti
    } catch {
      // Not JSON: fall through to the digest, which revokes exactly this string.
    }
  }
  return sha512Hex(token)
}

function sha512Hex(text: string): string {
  return createHash('sha512').update(text).digest('hex')
}
