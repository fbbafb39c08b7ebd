import { randomInt } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { planCreateBody, type CreatePlan } from '../../agent/deployer/create-body.ts'
import { EngineClient } from '../../agent/docker/engine.ts'
import { parseDockerHost } from '../../agent/docker/host.ts'
import type { ContainerInspect } from '../../agent/docker/types.ts'
import { buildImage, cleanup, createNetwork, createVolume, docker, dockerHost, runContainer, trackContainer, trackImage, trackVolume, uniqueName, waitFor } from '../support/harness.ts'

/*
 * The planner against the real Engine: a replacement created from the plan must come out configured
 * like the container it replaces, on Engine 20.10 (API 1.41, extra networks connected before start)
 * as on newer ones (every network in the create body).
 */
let engine: EngineClient
beforeAll(() => {
  engine = new EngineClient(parseDockerHost({ dockerHost: dockerHost() }))
})
afterAll(async () => {
  try {
    await cleanup()
  } finally {
    await engine.close()
  }
})

const HEALTH_CMD = 'wget -q -O /dev/null http://127.0.0.1/'

async function inspect(nameOrId: string): Promise<ContainerInspect> {
  const found = await engine.inspectContainer(nameOrId)
  if (!found) throw new Error(`container ${nameOrId} does not exist`)
  return found
}

/** What the executor does before stopping the old container: plan, create under a temporary name, connect. */
async function createReplacement(name: string): Promise<{ plan: CreatePlan; old: ContainerInspect; replacement: ContainerInspect }> {
  const old = await inspect(name)
  const [apiVersion, info, oldImage, newImage, all] = await Promise.all([
    engine.apiVersion(),
    engine.info(),
    engine.inspectImage(old.Image),
    engine.inspectImage(old.Config.Image ?? old.Image),
    engine.listContainers({ all: true }),
  ])
  if (!newImage) throw new Error(`image ${old.Config.Image} is missing`)
  const containerNames = new Map(all.map((c) => [c.Id, (c.Names[0] ?? c.Id).replace(/^\//, '')]))
  const plan = planCreateBody({ container: old, oldImage, newImage, apiVersion, engineHostname: info.Name ?? undefined, containerNames })
  const temporary = uniqueName('replacement')
  trackContainer(temporary)
  const created = await engine.createContainer({ name: temporary, platform: plan.platform, body: plan.body })
  for (const { name: network, endpointConfig } of plan.extraNetworks) await engine.connectNetwork(network, created.Id, endpointConfig)
  const replacement = await inspect(created.Id)
  // Mounted by name, the old anonymous volumes outlive `rm -v` of both containers.
  for (const mount of replacement.Mounts ?? []) if (mount.Type === 'volume' && mount.Name) trackVolume(mount.Name)
  return { plan, old, replacement }
}

function randomSubnet(): { subnet: string; ip: string } {
  const prefix = `10.${randomInt(100, 250)}.${randomInt(0, 256)}`
  return { subnet: `${prefix}.0/24`, ip: `${prefix}.77` }
}

function without<T extends Record<string, unknown>>(record: T, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)))
}

describe('planCreateBody against the Engine', () => {
  it('creates a replacement that keeps every setting, network and volume of a rich container', async () => {
    const image = uniqueName('rich')
    await buildImage(image, { env: ['GREETING=hello', 'MODE=production'], labels: { 'org.example.version': '1' }, volumes: ['/img'] })
    const { subnet, ip } = randomSubnet()
    const front = await createNetwork({ args: ['--subnet', subnet] })
    const back = await createNetwork()
    const named = await createVolume()
    const { id, name } = await runContainer({
      image,
      args: [
        '--network', front, '--ip', ip, '--network-alias', 'web-front',
        '-v', `${named}:/named`, '-v', '/data',
        '-e', 'USER_SETTING=on', '-e', 'MODE=staging',
        '--label', 'org.example.owner=team',
        '--restart', 'unless-stopped',
        '--health-cmd', HEALTH_CMD, '--health-interval', '1s',
        '-p', '127.0.0.1::80',
        '--hostname', 'custom',
      ],
    })
    await docker(['network', 'connect', '--alias', 'web-back', back, name])
    await docker(['exec', name, 'sh', '-c', 'echo kept > /data/file && echo image-volume > /img/file'])

    const { plan, old, replacement } = await createReplacement(name)
    expect(plan.notes).toEqual([])
    expect(plan.platform).toMatch(/^linux\/\w+/)

    // Config: what the user set, with the image's defaults merged in again by the Engine, comes out equal.
    expect(without(replacement.Config, 'Volumes')).toEqual(without(old.Config, 'Volumes'))
    expect(replacement.Config).toMatchObject({
      Hostname: 'custom',
      Image: image,
      Labels: { 'org.example.owner': 'team', 'org.example.version': '1' },
      Healthcheck: { Test: ['CMD-SHELL', HEALTH_CMD], Interval: 1_000_000_000 },
    })
    expect(replacement.Config.Env).toEqual(expect.arrayContaining(['USER_SETTING=on', 'MODE=staging', 'GREETING=hello']))
    expect(replacement.Config.Env).not.toContain('MODE=production')

    // HostConfig: equal but for the anonymous volumes, now mounted by name.
    expect(without(replacement.HostConfig, 'Mounts')).toEqual(without(old.HostConfig, 'Mounts'))
    expect(replacement.HostConfig).toMatchObject({
      RestartPolicy: { Name: 'unless-stopped' },
      PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      Binds: [`${named}:/named`],
    })
    const volumeAt = (c: ContainerInspect, path: string) => c.Mounts?.find((m) => m.Destination === path)?.Name
    for (const path of ['/data', '/img', '/named']) {
      expect(volumeAt(replacement, path), path).toBeTruthy()
      expect(volumeAt(replacement, path), path).toBe(volumeAt(old, path))
    }

    // Stop the old one, start the replacement: it claims the same address and finds the data.
    await docker(['stop', name])
    await engine.startContainer(replacement.Id)
    const started = await inspect(replacement.Id)
    const networks = started.NetworkSettings.Networks ?? {}
    expect(Object.keys(networks).sort()).toEqual([front, back].sort())
    expect(networks[front]?.IPAMConfig?.IPv4Address).toBe(ip)
    expect(networks[front]?.IPAddress).toBe(ip)
    expect(networks[front]?.Aliases).toContain('web-front')
    expect(networks[back]?.Aliases).toContain('web-back')
    for (const network of [front, back]) expect(networks[network]?.Aliases ?? [], network).not.toContain(id.slice(0, 12))
    expect((await docker(['exec', replacement.Id, 'cat', '/data/file', '/img/file'])).trim()).toBe('kept\nimage-volume')
    expect((await docker(['exec', replacement.Id, 'hostname'])).trim()).toBe('custom')
    await waitFor(async () => (await inspect(replacement.Id)).State.Health?.Status === 'healthy', { timeoutMs: 20_000, intervalMs: 250 })
  })

  it('does not pin the hostname the daemon gave the old container', async () => {
    const image = uniqueName('plain')
    await buildImage(image)
    const { name } = await runContainer({ image })

    const { plan, replacement } = await createReplacement(name)
    expect(plan.body).not.toHaveProperty('Hostname')
    expect(replacement.Config.Hostname).toBe(replacement.Id.slice(0, 12))
  })

  it('lets a new image\'s env defaults and command replace the old image\'s, keeping the user\'s env', async () => {
    const image = uniqueName('moving')
    const oldId = await buildImage(image, { env: ['MODE=v1', 'STABLE=same'], cmd: ['sleep', '3600'] })
    trackImage(oldId)
    const { name } = await runContainer({ image, args: ['-e', 'USER_SETTING=on'] })
    const newId = await buildImage(image, { env: ['MODE=v2', 'STABLE=same'], cmd: ['sleep', '7200'] })

    const { plan, replacement } = await createReplacement(name)
    expect(plan.body['Env']).toEqual(['USER_SETTING=on'])
    expect(plan.body).not.toHaveProperty('Cmd')
    expect(replacement.Image).toBe(newId)
    expect(replacement.Config.Env).toEqual(expect.arrayContaining(['USER_SETTING=on', 'MODE=v2', 'STABLE=same']))
    expect(replacement.Config.Env).not.toContain('MODE=v1')
    expect(replacement.Config.Cmd).toEqual(['sleep', '7200'])
  })
})
