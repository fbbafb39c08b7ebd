import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeDeployer, deploy, type TestDeployer } from '../../support/deployer.ts'
import { buildImage, cleanup, createNetwork, createVolume, docker, hostAddress, httpGet, registry, runContainer, trackVolume, uniqueName, waitFor } from '../../support/harness.ts'

/*
 * recreate-fidelity.md's checklist through a real pull-recreate: what the user set survives, what
 * the old image set does not get pinned.
 */
let t: TestDeployer
beforeAll(async () => {
  t = await makeDeployer({ stableMs: 0 })
})
afterAll(async () => {
  await t.close()
  await cleanup()
})

async function inspect(name: string) {
  const container = await t.engine.inspectContainer(name)
  if (!container) throw new Error(`${name} is gone`)
  return container
}

describe('pull-recreate keeps every user setting', () => {
  it('networks, aliases, static IP, volumes (anonymous ones with their data), env, labels, restart policy, healthcheck, port, hostname', async () => {
    const front = await createNetwork({ args: ['--subnet', `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}.0/24`] })
    const back = await createNetwork()
    const subnet = (await docker(['network', 'inspect', front, '--format', '{{(index .IPAM.Config 0).Subnet}}'])).trim()
    const staticIp = subnet.replace(/0\/24$/, '77')
    const named = await createVolume()
    const ref = `${registry()}/${uniqueName('rich')}:live`
    const v1 = await buildImage(ref, { content: 'v1', volumes: ['/anon'], env: ['MODE=old-default', 'KEEP=image'] })
    const app = await runContainer({
      image: ref,
      args: [
        '--network', front, '--network-alias', 'web-front', '--ip', staticIp,
        '-v', `${named}:/named`, '-e', 'USER_SET=yes', '--label', 'team=deploy', '--restart', 'unless-stopped',
        '--health-cmd', 'wget -q -O /dev/null http://127.0.0.1/ || exit 1', '--health-interval', '1s',
        '-p', '127.0.0.1::80', '--hostname', 'custom-host',
      ],
    })
    await docker(['network', 'connect', '--alias', 'web-back', back, app.name])
    await docker(['exec', app.name, 'sh', '-c', 'echo anon-data > /anon/file && echo named-data > /named/file'])
    const before = await inspect(app.name)
    const anonVolume = before.Mounts?.find((m) => m.Destination === '/anon')?.Name
    expect(anonVolume).toBeTruthy()
    // The replacement mounts it by name, so `rm -v` will no longer remove it with the container.
    trackVolume(anonVolume as string)
    await waitFor(async () => (await inspect(app.name)).State.Health?.Status === 'healthy', { timeoutMs: 15_000 })

    const v2 = await buildImage(ref, { content: 'v2', volumes: ['/anon'], env: ['MODE=new-default', 'KEEP=image'], cmd: ['/bin/sh', '-c', 'trap "exit 0" TERM; echo v2-cmd > /tmp/cmd; httpd -f -p 80 -h /www & wait'], push: true })
    await docker(['tag', v1, ref])

    const { record } = await deploy(t.deployer, [app.name], 'pull-recreate')
    expect(record.status).toBe('succeeded')
    const after = await inspect(app.name)
    expect(after.Id).not.toBe(before.Id)
    expect(after.Image).toBe(v2)

    // networks with aliases (the old short id is not carried) and the static address
    const networks = after.NetworkSettings.Networks ?? {}
    expect(Object.keys(networks).sort()).toEqual([back, front].sort())
    expect(networks[front]?.Aliases).toContain('web-front')
    expect(networks[back]?.Aliases).toContain('web-back')
    expect(networks[front]?.Aliases ?? []).not.toContain(before.Id.slice(0, 12))
    expect(networks[front]?.IPAMConfig?.IPv4Address).toBe(staticIp)
    expect(networks[front]?.IPAddress).toBe(staticIp)
    // volumes: the same anonymous volume, by name, with its file; the named volume too
    expect(after.Mounts?.find((m) => m.Destination === '/anon')?.Name).toBe(anonVolume)
    expect((await docker(['exec', app.name, 'cat', '/anon/file'])).trim()).toBe('anon-data')
    expect((await docker(['exec', app.name, 'cat', '/named/file'])).trim()).toBe('named-data')
    // env: user-set kept, the new image's default takes effect (the old default is not pinned)
    expect(after.Config.Env).toContain('USER_SET=yes')
    expect(after.Config.Env).toContain('MODE=new-default')
    expect(after.Config.Env).not.toContain('MODE=old-default')
    // the new image's CMD runs
    expect((await docker(['exec', app.name, 'cat', '/tmp/cmd'])).trim()).toBe('v2-cmd')
    expect(after.Config.Labels?.team).toBe('deploy')
    expect(after.HostConfig.RestartPolicy).toMatchObject({ Name: 'unless-stopped' })
    expect(after.Config.Healthcheck?.Test).toEqual(before.Config.Healthcheck?.Test)
    expect(after.HostConfig.PortBindings).toEqual(before.HostConfig.PortBindings)
    expect(after.Config.Hostname).toBe('custom-host')
    await waitFor(async () => (await inspect(app.name)).State.Health?.Status === 'healthy', { timeoutMs: 15_000 })
    expect(await httpGet(`http://${await hostAddress(app.name)}/`)).toBe('v2')
  })

  it('a container without a custom hostname gets a fresh one, not the old ID', async () => {
    const ref = `${registry()}/${uniqueName('host')}:v1`
    await buildImage(ref)
    const app = await runContainer({ image: ref })
    const { record } = await deploy(t.deployer, [app.name], 'recreate')
    expect(record.status).toBe('succeeded')
    const after = await inspect(app.name)
    expect(after.Config.Hostname).toBe(after.Id.slice(0, 12))
    expect(after.Config.Hostname).not.toBe(app.id.slice(0, 12))
  })

  it('keeps compose labels and points com.docker.compose.image at the new image', async () => {
    const ref = `${registry()}/${uniqueName('compose')}:live`
    const v1 = await buildImage(ref, { content: 'v1', push: true })
    const app = await runContainer({ image: ref, args: ['--label', 'com.docker.compose.project=demo', '--label', 'com.docker.compose.service=web', '--label', `com.docker.compose.image=${v1}`] })
    const v2 = await buildImage(ref, { content: 'v2', push: true })
    await docker(['tag', v1, ref])
    const { record } = await deploy(t.deployer, [app.name], 'pull-recreate')
    expect(record.status).toBe('succeeded')
    const labels = (await inspect(app.name)).Config.Labels ?? {}
    expect(labels['com.docker.compose.project']).toBe('demo')
    expect(labels['com.docker.compose.service']).toBe('web')
    expect(labels['com.docker.compose.image']).toBe(v2)
  })

  it('recreates the provider of a container: network namespace before its dependent, and rewrites the reference to a name', async () => {
    const ref = `${registry()}/${uniqueName('ns')}:v1`
    await buildImage(ref)
    const provider = await runContainer({ image: ref })
    const dependent = await runContainer({ image: ref, args: ['--network', `container:${provider.name}`], cmd: ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep 600 & wait'] })
    const { record } = await deploy(t.deployer, [dependent.name, provider.name], "recreate")
    if (record.status !== "succeeded") console.log(JSON.stringify(record, null, 1))
    expect(record.status).toBe('succeeded')
    const newProvider = await inspect(provider.name)
    const newDependent = await inspect(dependent.name)
    expect(newDependent.HostConfig.NetworkMode).toMatch(new RegExp(`^container:(${provider.name}|${newProvider.Id})$`))
    expect(newDependent.State.Running).toBe(true)
  })
})
