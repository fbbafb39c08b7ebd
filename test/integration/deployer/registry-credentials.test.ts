import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { credentialResolver, type CredentialResolver } from '../../../agent/deployer/credentials.ts'
import { openRegistryAuth } from '../../../agent/store/registry-auth.ts'
import { makeDeployer, deploy } from '../../support/deployer.ts'
import { buildImage, cleanup, docker, privateRegistry, runContainer, uniqueName } from '../../support/harness.ts'

/* pull-recreate from an htpasswd registry, with credentials from each place the agent looks. */
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dh-creds-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
  await cleanup()
})

/** v1 runs from the private registry; v2 is pushed under the same tag. */
async function privateApp() {
  const { host, username, password } = privateRegistry()
  const ref = `${host}/${uniqueName('priv')}:live`
  const config = await mkdtemp(join(dir, 'login-'))
  await docker(['--config', config, 'login', host, '--username', username, '--password-stdin'], { input: password })
  const v1 = await buildImage(ref, { content: 'v1' })
  await docker(['--config', config, 'push', ref])
  const app = await runContainer({ image: ref })
  const v2 = await buildImage(ref, { content: 'v2' })
  await docker(['--config', config, 'push', ref])
  await docker(['tag', v1, ref])
  return { ref, v1, v2, app }
}

async function deployWith(credentials: CredentialResolver, name: string) {
  const t = await makeDeployer({ credentials })
  try {
    return await deploy(t.deployer, [name], 'pull-recreate')
  } finally {
    await t.close()
  }
}

describe('registry credentials', () => {
  it('from registry-auth.json (docker-deploy-api format, a password with a colon)', async () => {
    const { host, username, password } = privateRegistry()
    const dataDir = await mkdtemp(join(dir, 'data-'))
    await writeFile(join(dataDir, 'registry-auth.json'), JSON.stringify({ [host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } }))
    const store = await openRegistryAuth(dataDir)
    const { app, v2 } = await privateApp()
    const { record } = await deployWith(credentialResolver({ stored: (key) => store.credentialsFor(key), dockerConfigDir: join(dir, 'none') }), app.name)
    expect(record.status).toBe('succeeded')
    expect(record.log.map((l) => l.message).join('\n')).toMatch(/credentials from registry-auth\.json/)
    expect(JSON.stringify(record)).not.toContain(password)
    expect((await docker(['inspect', '--format', '{{.Image}}', app.name])).trim()).toBe(v2)
  })

  it('from a Docker config.json (auths)', async () => {
    const { host, username, password } = privateRegistry()
    const configDir = await mkdtemp(join(dir, 'docker-config-'))
    await writeFile(join(configDir, 'config.json'), JSON.stringify({ auths: { [`https://${host}`]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } } }))
    const { app, v2 } = await privateApp()
    const { record } = await deployWith(credentialResolver({ stored: () => undefined, dockerConfigDir: configDir }), app.name)
    expect(record.status).toBe('succeeded')
    expect((await docker(['inspect', '--format', '{{.Image}}', app.name])).trim()).toBe(v2)
  })

  it('from a credential helper named in config.json, and a clear warning when it is not installed', async () => {
    const { host, username, password } = privateRegistry()
    const bin = await mkdtemp(join(dir, 'bin-'))
    const helper = join(bin, 'docker-credential-dhtest')
    await writeFile(helper, `#!/bin/sh\nread server\n[ "$server" = "${host}" ] || exit 1\nprintf '%s' '${JSON.stringify({ ServerURL: host, Username: username, Secret: password })}'\n`)
    await chmod(helper, 0o755)
    const configDir = await mkdtemp(join(dir, 'docker-config-'))
    await writeFile(join(configDir, 'config.json'), JSON.stringify({ credHelpers: { [host]: 'dhtest' } }))
    const previousPath = process.env.PATH
    process.env.PATH = `${bin}:${previousPath}`
    try {
      const { app } = await privateApp()
      const { record } = await deployWith(credentialResolver({ stored: () => undefined, dockerConfigDir: configDir }), app.name)
      expect(record.status).toBe('succeeded')
      expect(record.log.map((l) => l.message).join('\n')).toMatch(/credentials from docker-credential-dhtest/)
    } finally {
      process.env.PATH = previousPath
    }

    await writeFile(join(configDir, 'config.json'), JSON.stringify({ credsStore: 'not-installed-anywhere' }))
    const lookup = await credentialResolver({ stored: () => undefined, dockerConfigDir: configDir })(host)
    expect(lookup.credentials).toBeUndefined()
    expect(lookup.warning).toMatch(/docker-credential-not-installed-anywhere is configured .* but not installed/)
  })
})
