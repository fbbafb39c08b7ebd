import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createFileExclusive, fileVersion, writeFileAtomic } from '../../../agent/store/atomic.ts'
import { useTempDirs } from '../../support/temp-dir.ts'

const tempDir = useTempDirs()

describe('writeFileAtomic', () => {
  it('replaces the file in one step with mode 0600 and leaves no temp file behind', async () => {
    const dir = await tempDir()
    const path = join(dir, 'data.json')
    await writeFile(path, 'old')
    await writeFileAtomic(path, 'new')
    expect(await readFile(path, 'utf8')).toBe('new')
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readdir(dir)).toEqual(['data.json'])
  })

  it('cleans up its temp file when the final rename fails', async () => {
    const dir = await tempDir()
    // A directory under the target name makes rename(2) fail after the temp file was written.
    await mkdir(join(dir, 'target'))
    await expect(writeFileAtomic(join(dir, 'target'), 'new')).rejects.toThrow()
    expect(await readdir(dir)).toEqual(['target'])
  })

  it('readers racing a writer see the old or the new content, never a mix', async () => {
    const dir = await tempDir()
    const path = join(dir, 'data.json')
    const a = 'a'.repeat(200_000)
    const b = 'b'.repeat(200_000)
    await writeFileAtomic(path, a)
    const reads: string[] = []
    await Promise.all([
      (async () => {
        for (let i = 0; i < 20; i++) await writeFileAtomic(path, i % 2 ? a : b)
      })(),
      (async () => {
        for (let i = 0; i < 50; i++) reads.push(await readFile(path, 'utf8'))
      })(),
    ])
    for (const read of reads) expect(read === a || read === b).toBe(true)
  })
})

describe('createFileExclusive', () => {
  it('creates once; later calls leave the first content in place', async () => {
    const dir = await tempDir()
    const path = join(dir, 'key')
    const results = await Promise.all([createFileExclusive(path, 'one'), createFileExclusive(path, 'two'), createFileExclusive(path, 'three')])
    expect(results.filter(Boolean)).toHaveLength(1)
    const winner = ['one', 'two', 'three'][results.indexOf(true)]
    expect(await readFile(path, 'utf8')).toBe(winner)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readdir(dir)).toEqual(['key'])
  })
})

describe('fileVersion', () => {
  it('changes on every atomic replace, even with the same size, and says absent for no file', async () => {
    const dir = await tempDir()
    const path = join(dir, 'f')
    expect(await fileVersion(path)).toBe('absent')
    await writeFileAtomic(path, 'aaaa')
    const first = await fileVersion(path)
    await writeFileAtomic(path, 'bbbb')
    expect(await fileVersion(path)).not.toBe(first)
  })
})
