import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { normalizeRegistryHost, openRegistryAuth, RegistryAuthError } from '../../../agent/store/registry-auth.ts'
import { useTempDirs } from '../../support/temp-dir.ts'

const tempDir = useTempDirs()
const b64 = (text: string) => Buffer.from(text).toString('base64')

describe('normalizeRegistryHost', () => {
  it.each([
    ['docker.io', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['https://index.docker.io/v1/', 'docker.io'],
    ['hub.docker.com', 'docker.io'],
    ['ghcr.io', 'ghcr.io'],
    ['https://Registry.Example.com:5000/v2/', 'registry.example.com:5000'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['localhost:5000/some/repo', 'localhost:5000'],
    ['  quay.io  ', 'quay.io'],
  ])('%s → %s', (input, host) => {
    expect(normalizeRegistryHost(input)).toBe(host)
  })
})

describe('openRegistryAuth', () => {
  it("reads docker-deploy-api's format and the username/password form; passwords keep their colons", async () => {
    const dataDir = await tempDir()
    await writeFile(
      join(dataDir, 'registry-auth.json'),
      JSON.stringify({
        'docker.io': { auth: b64('hubuser:p:a:ss') },
        'https://ghcr.io': { username: 'gh', password: 'tok:en' },
        '127.0.0.1:5000': { auth: b64('alice:s3cr:et') },
      }),
    )
    const auth = await openRegistryAuth(dataDir)
    expect(auth.credentialsFor('index.docker.io')).toEqual({ username: 'hubuser', password: 'p:a:ss' })
    expect(auth.credentialsFor('ghcr.io')).toEqual({ username: 'gh', password: 'tok:en' })
    expect(auth.credentialsFor('http://127.0.0.1:5000')).toEqual({ username: 'alice', password: 's3cr:et' })
    expect(auth.credentialsFor('quay.io')).toBeUndefined()
    expect(auth.list()).toEqual([
      { host: '127.0.0.1:5000', username: 'alice' },
      { host: 'docker.io', username: 'hubuser' },
      { host: 'ghcr.io', username: 'gh' },
    ])
  })

  it("add writes docker-deploy-api's format, mode 0600, under the canonical host, replacing any alias", async () => {
    const dataDir = await tempDir()
    const path = join(dataDir, 'registry-auth.json')
    await writeFile(path, JSON.stringify({ 'https://index.docker.io/v1/': { auth: b64('old:old') }, 'ghcr.io': { auth: b64('gh:x'), email: 'kept@example.com' } }))
    const auth = await openRegistryAuth(dataDir)
    await auth.add('registry-1.docker.io', { username: 'new', password: 'pa:ss word' })
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      'ghcr.io': { auth: b64('gh:x'), email: 'kept@example.com' },
      'docker.io': { auth: b64('new:pa:ss word') },
    })
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(auth.credentialsFor('docker.io')).toEqual({ username: 'new', password: 'pa:ss word' })
  })

  it('remove forgets every spelling of the host and says whether there was one', async () => {
    const dataDir = await tempDir()
    const auth = await openRegistryAuth(dataDir)
    await auth.add('registry.example.com', { username: 'u', password: 'p' })
    expect(await auth.remove('https://registry.example.com/v2/')).toBe(true)
    expect(await auth.remove('registry.example.com')).toBe(false)
    expect(auth.list()).toEqual([])
  })

  it('refuses logins it could not store faithfully', async () => {
    const auth = await openRegistryAuth(await tempDir())
    await expect(auth.add('ghcr.io', { username: 'a:b', password: 'p' })).rejects.toThrow(RegistryAuthError)
    await expect(auth.add('ghcr.io', { username: 'a', password: '' })).rejects.toThrow(RegistryAuthError)
    await expect(auth.add('not a host', { username: 'a', password: 'p' })).rejects.toThrow(RegistryAuthError)
  })

  it('refresh sees a login the CLI added', async () => {
    const dataDir = await tempDir()
    const agent = await openRegistryAuth(dataDir)
    await (await openRegistryAuth(dataDir)).add('ghcr.io', { username: 'u', password: 'p' })
    expect(agent.credentialsFor('ghcr.io')).toBeUndefined()
    expect(await agent.refresh()).toBe(true)
    expect(agent.credentialsFor('ghcr.io')).toEqual({ username: 'u', password: 'p' })
  })

  it('names the broken entry, never its secret', async () => {
    const dataDir = await tempDir()
    await writeFile(join(dataDir, 'registry-auth.json'), JSON.stringify({ 'ghcr.io': { auth: b64('no-colon-secret') } }))
    const error = await openRegistryAuth(dataDir).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryAuthError)
    expect(String(error)).toContain('ghcr.io')
    expect(String(error)).not.toContain('no-colon-secret')
  })
})
