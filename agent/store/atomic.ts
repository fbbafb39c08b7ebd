/*
 * Atomic file writes for the data directory: readers (the agent, another CLI run) see the old
 * content or the new, never half of it, and a crash leaves at most a stray temp file.
 */
import { randomBytes } from 'node:crypto'
import { link, open, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export interface WriteOptions {
  /** File mode of the new file; 0600 unless said otherwise (the data directory holds secrets). */
  mode?: number
}

/** Replaces `path` with `data` in one step: temp file beside it, fsync, rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  const temp = await writeTemp(path, data, options.mode ?? 0o600)
  try {
    await rename(temp, path)
  } catch (error) {
    await unlink(temp).catch(() => {})
    throw error
  }
}

/**
 * Creates `path` with `data` only if it does not exist yet, atomically: two processes creating the
 * same key file at once end up agreeing on one of them. Resolves true when this call created it.
 */
export async function createFileExclusive(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<boolean> {
  const temp = await writeTemp(path, data, options.mode ?? 0o600)
  try {
    // link(2) fails with EEXIST instead of replacing, unlike rename(2).
    await link(temp, path)
    return true
  } catch (error) {
    if (isErrorCode(error, 'EEXIST')) return false
    throw error
  } finally {
    await unlink(temp).catch(() => {})
  }
}

/** Identity of a file's current content: changes on every atomic replace (new inode) and every write. */
export async function fileVersion(path: string): Promise<string> {
  try {
    const info = await stat(path, { bigint: true })
    return `${info.ino}:${info.size}:${info.mtimeNs}`
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return 'absent'
    throw error
  }
}

export function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code
}

async function writeTemp(path: string, data: string | Uint8Array, mode: number): Promise<string> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', mode)
  try {
    await handle.writeFile(data)
    // Without fsync a crash after the rename can leave an empty file under the final name.
    await handle.sync()
  } catch (error) {
    await handle.close()
    await unlink(temp).catch(() => {})
    throw error
  }
  await handle.close()
  return temp
}
