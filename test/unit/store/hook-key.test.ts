import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadOrCreateHookKey } from '../../../agent/store/hook-key.ts'
import { useTempDirs } from '../../support/temp-dir.ts'

const tempDir = useTempDirs()

describe('loadOrCreateHookKey', () => {
  it('creates 32 random bytes in hook.key with mode 0600, then keeps returning them', async () => {
    const dataDir = await tempDir()
    const key = await loadOrCreateHookKey(dataDir)
    expect(key).toHaveLength(32)
    const path = join(dataDir, 'hook.key')
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(new Uint8Array(await readFile(path))).toEqual(key)
    expect(await loadOrCreateHookKey(dataDir)).toEqual(key)
  })

  it('processes creating it at the same time get the same key', async () => {
    const dataDir = await tempDir()
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateHookKey(dataDir)))
    for (const key of keys) expect(key).toEqual(keys[0])
  })

  it('refuses a hook.key of the wrong length instead of replacing it', async () => {
    const dataDir = await tempDir()
    await writeFile(join(dataDir, 'hook.key'), 'short')
    await expect(loadOrCreateHookKey(dataDir)).rejects.toThrow(/5 bytes/)
  })

  it('creates the data directory when it does not exist yet', async () => {
    const dataDir = join(await tempDir(), 'nested', 'data')
    expect(await loadOrCreateHookKey(dataDir)).toHaveLength(32)
  })
})
