import { randomBytes } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createFileExclusive, isErrorCode } from './atomic.ts'

export const HOOK_KEY_FILE = 'hook.key'
const HOOK_KEY_BYTES = 32

/**
 * DATA_DIR/hook.key: 32 random bytes (mode 0600) from which every webhook secret is derived
 * (`hookSecretFor`). Created on first use; two processes creating it at once agree on one key,
 * since a second key would silently invalidate the secrets printed with the first.
 */
export async function loadOrCreateHookKey(dataDir: string): Promise<Uint8Array> {
  const path = join(dataDir, HOOK_KEY_FILE)
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  for (;;) {
    try {
      const key = await readFile(path)
      if (key.length !== HOOK_KEY_BYTES) throw new Error(`${path} holds ${key.length} bytes, not ${HOOK_KEY_BYTES}; restore it from a backup (replacing it changes every webhook secret)`)
      return new Uint8Array(key)
    } catch (error) {
      if (!isErrorCode(error, 'ENOENT')) throw error
    }
    await createFileExclusive(path, randomBytes(HOOK_KEY_BYTES))
  }
}
