import { describe, expect, it } from 'vitest'
import { planCreateBody, type RecreateInputs } from '../../../agent/deployer/create-body.ts'
import { ContainerInspectSchema, ImageInspectSchema, type ContainerInspect, type ImageInspect } from '../../../agent/docker/types.ts'

/*
 * Hand-written inspect answers shaped like Engine 20.10's (API 1.41): each test changes what its
 * rule is about and checks the body the planner sends back.
 */
const ID = '94f2ddcb9bdf8b96de7c5025483e3471648a78f49f1df5d57d68ce52a7c78929'
const SHORT_ID = ID.slice(0, 12)
const OLD_IMAGE_ID = 'sha256:b335b1cbdfedc1197e6eecc726da139007ce5a7df43b2f3c0b9031557d32f9ea'
const NEW_IMAGE_ID = 'sha256:4a1f2cd1e5b2dd0ff40e5f9e8d3c0a72f9e1a3c4b5d6e7f8091a2b3c4d5e6f70'
const PROVIDER_ID = '5e1c0d3b2a4f6e8d7c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d'

type Json = Record<string, unknown>

function imageConfig(overrides: Json = {}): Json {
  return {
    Hostname: '',
    User: 'app',
    Env: ['PATH=/usr/bin:/bin', 'MODE=production'],
    Cmd: ['serve'],
    Entrypoint: ['/entrypoint.sh'],
    WorkingDir: '/srv',
    StopSignal: 'SIGQUIT',
    Labels: { 'org.opencontainers.image.version': '1.0', maintainer: 'ops' },
    Volumes: { '/img': {} },
    ExposedPorts: { '8080/tcp': {} },
    Healthcheck: { Test: ['CMD', 'probe'], Interval: 5_000_000_000, Retries: 3 },
    ...overrides,
  }
}

function image(overrides: Json = {}, config: Json = {}): ImageInspect {
  return ImageInspectSchema.parse({ Id: OLD_IMAGE_ID, Os: 'linux', Architecture: 'amd64', Config: imageConfig(config), ...overrides })
}

/** A container run from `image()` with nothing set by the user: inspect shows only merged image defaults. */
function container(edit: (c: Json & { Config: Json; HostConfig: Json; NetworkSettings: { Networks: Record<string, Json> } }) => void = () => {}): ContainerInspect {
  const raw = {
    Id: ID,
    Name: '/web',
    Image: OLD_IMAGE_ID,
    Created: '2026-01-01T00:00:00Z',
    State: { Status: 'running', Running: true, Pid: 4242, StartedAt: '2026-01-01T00:00:01Z' },
    Platform: 'linux',
    Config: { ...imageConfig(), Hostname: SHORT_ID, Domainname: '', Image: 'registry.example:5000/web:1', Tty: false, OpenStdin: false },
    HostConfig: {
      Binds: null,
      LogConfig: { Type: 'json-file', Config: {} },
      NetworkMode: 'default',
      PortBindings: {},
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      AutoRemove: false,
      VolumesFrom: null,
      Dns: [],
      ExtraHosts: null,
      Links: null,
      IpcMode: 'private',
      PidMode: '',
      UTSMode: '',
      PublishAllPorts: false,
      ShmSize: 67108864,
      Ulimits: [],
      MaskedPaths: ['/proc/asound', '/proc/acpi', '/proc/kcore'],
      ReadonlyPaths: ['/proc/bus', '/proc/fs'],
    },
    Mounts: [
      { Type: 'volume', Name: 'img-volume', Source: '/var/lib/docker/volumes/img-volume/_data', Destination: '/img', Driver: 'local', Mode: '', RW: true },
    ],
    NetworkSettings: {
      IPAddress: '172.17.0.2',
      Gateway: '172.17.0.1',
      MacAddress: '02:42:ac:11:00:02',
      Networks: {
        bridge: { IPAMConfig: null, Links: null, Aliases: null, NetworkID: 'b'.repeat(64), EndpointID: 'e'.repeat(64), Gateway: '172.17.0.1', IPAddress: '172.17.0.2', MacAddress: '02:42:ac:11:00:02', DriverOpts: null },
      },
    },
  }
  edit(raw as Parameters<typeof edit>[0])
  return ContainerInspectSchema.parse(raw)
}

function userNetwork(overrides: Json = {}): Json {
  return { IPAMConfig: null, Links: null, Aliases: [SHORT_ID], NetworkID: 'f'.repeat(64), EndpointID: 'd'.repeat(64), Gateway: '10.1.0.1', IPAddress: '10.1.0.5', IPPrefixLen: 24, MacAddress: '02:42:0a:01:00:05', DriverOpts: null, DNSNames: ['web', SHORT_ID], ...overrides }
}

function plan(inputs: Partial<RecreateInputs> = {}) {
  return planCreateBody({
    container: container(),
    oldImage: image(),
    newImage: image({ Id: NEW_IMAGE_ID }),
    apiVersion: '1.41',
    containerNames: new Map(),
    ...inputs,
  })
}

const hostConfigOf = (body: Json) => body['HostConfig'] as Json
const endpointsOf = (body: Json) => (body['NetworkingConfig'] as { EndpointsConfig: Record<string, Json> } | undefined)?.EndpointsConfig

describe('planCreateBody: image defaults are not pinned', () => {
  it('sends back nothing the old image provided for a container the user did not configure', () => {
    const { body } = plan()
    for (const field of ['User', 'WorkingDir', 'StopSignal', 'Entrypoint', 'Cmd', 'Env', 'Labels', 'Volumes', 'ExposedPorts', 'Healthcheck', 'Hostname', 'Domainname']) {
      expect(body, field).not.toHaveProperty(field)
    }
  })

  it.each([
    ['User', 'root'],
    ['WorkingDir', '/data'],
    ['StopSignal', 'SIGTERM'],
  ])('keeps %s when the user changed it', (field, value) => {
    const { body } = plan({ container: container((c) => { c.Config[field] = value }) })
    expect(body[field]).toBe(value)
  })

  it('drops an entrypoint and command equal to the image\'s, and ArgsEscaped with the command', () => {
    const { body } = plan({ container: container((c) => { c.Config['ArgsEscaped'] = true }) })
    expect(body).not.toHaveProperty('Entrypoint')
    expect(body).not.toHaveProperty('Cmd')
    expect(body).not.toHaveProperty('ArgsEscaped')
  })

  it('keeps a user command under the image\'s entrypoint', () => {
    const { body } = plan({ container: container((c) => { c.Config['Cmd'] = ['migrate', '--all'] }) })
    expect(body).not.toHaveProperty('Entrypoint')
    expect(body['Cmd']).toEqual(['migrate', '--all'])
  })

  it('keeps both when the entrypoint was overridden, even a command equal to the image\'s', () => {
    const { body } = plan({ container: container((c) => { c.Config['Entrypoint'] = ['/bin/sh', '-c'] }) })
    expect(body['Entrypoint']).toEqual(['/bin/sh', '-c'])
    expect(body['Cmd']).toEqual(['serve'])
  })

  it('keeps an empty entrypoint (`--entrypoint ""`) when the image has one', () => {
    const { body } = plan({ container: container((c) => { c.Config['Entrypoint'] = [''] }) })
    expect(body['Entrypoint']).toEqual([''])
  })

  it('drops env entries equal to the image\'s and keeps user values, including overrides of image keys', () => {
    const { body } = plan({ container: container((c) => { c.Config['Env'] = ['MODE=staging', 'TOKEN_FILE=/run/secret', 'PATH=/usr/bin:/bin'] }) })
    expect(body['Env']).toEqual(['MODE=staging', 'TOKEN_FILE=/run/secret'])
  })

  it('drops labels equal to the image\'s and keeps user labels and overridden values', () => {
    const { body } = plan({
      container: container((c) => { c.Config['Labels'] = { 'org.opencontainers.image.version': '1.0', maintainer: 'me', team: 'web' } }),
    })
    expect(body['Labels']).toEqual({ maintainer: 'me', team: 'web' })
  })

  it('drops volumes the image declares and keeps ones the user declared', () => {
    const { body } = plan({ container: container((c) => { c.Config['Volumes'] = { '/img': {}, '/cache': {} }; c['Mounts'] = [] }) })
    expect(body['Volumes']).toEqual({ '/cache': {} })
  })

  it('exposes the user\'s ports and every published one, not the image\'s', () => {
    const { body } = plan({
      container: container((c) => {
        c.Config['ExposedPorts'] = { '8080/tcp': {}, '9000/udp': {} }
        c.HostConfig['PortBindings'] = { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }
      }),
    })
    expect(body['ExposedPorts']).toEqual({ '9000/udp': {}, '80/tcp': {} })
    expect(hostConfigOf(body)['PortBindings']).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] })
  })

  it('drops each healthcheck field equal to the image\'s and keeps the user\'s', () => {
    const { body } = plan({
      container: container((c) => { c.Config['Healthcheck'] = { Test: ['CMD', 'probe'], Interval: 1_000_000_000, Retries: 3, Timeout: 2_000_000_000 } }),
    })
    expect(body['Healthcheck']).toEqual({ Interval: 1_000_000_000, Timeout: 2_000_000_000 })
  })

  it('keeps a healthcheck turned off with ["NONE"], even when the old image turned it off too', () => {
    const { body } = plan({ container: container((c) => { c.Config['Healthcheck'] = { Test: ['NONE'] } }) })
    expect(body['Healthcheck']).toEqual({ Test: ['NONE'] })
    const inherited = plan({ container: container((c) => { c.Config['Healthcheck'] = { Test: ['NONE'] } }), oldImage: image({}, { Healthcheck: { Test: ['NONE'] } }) })
    expect(inherited.body['Healthcheck']).toEqual({ Test: ['NONE'] })
  })

  it('keeps a user healthcheck on an image without one', () => {
    const { body } = plan({
      container: container((c) => { c.Config['Healthcheck'] = { Test: ['CMD-SHELL', 'true'], Interval: 5_000_000_000 } }),
      oldImage: image({}, { Healthcheck: null }),
    })
    expect(body['Healthcheck']).toEqual({ Test: ['CMD-SHELL', 'true'], Interval: 5_000_000_000 })
  })

  it('carries everything over, with a note, when the old image is gone', () => {
    const { body, notes, platform } = plan({ oldImage: undefined })
    expect(body['Env']).toEqual(['PATH=/usr/bin:/bin', 'MODE=production'])
    expect(body['Cmd']).toEqual(['serve'])
    expect(platform).toBeUndefined()
    expect(notes.join('\n')).toMatch(/old image is gone/)
  })
})

describe('planCreateBody: Config', () => {
  it('names the image by the user\'s reference, not by ID', () => {
    expect(plan().body['Image']).toBe('registry.example:5000/web:1')
  })

  it('keeps Tty, OpenStdin, StopTimeout and a Domainname', () => {
    const { body } = plan({ container: container((c) => Object.assign(c.Config, { Tty: true, OpenStdin: true, StopTimeout: 30, Domainname: 'example.org' })) })
    expect(body).toMatchObject({ Tty: true, OpenStdin: true, StopTimeout: 30, Domainname: 'example.org' })
  })

  it.each([
    ['the short ID the daemon assigned', (c: Json & { Config: Json; HostConfig: Json }) => { c.Config['Hostname'] = SHORT_ID }, undefined],
    ['a user hostname', (c: Json & { Config: Json; HostConfig: Json }) => { c.Config['Hostname'] = 'custom' }, 'custom'],
    ['a hostname with UTSMode=host', (c: Json & { Config: Json; HostConfig: Json }) => { c.Config['Hostname'] = 'custom'; c.HostConfig['UTSMode'] = 'host' }, undefined],
    ['the Engine host\'s name in host mode', (c: Json & { Config: Json; HostConfig: Json }) => { c.Config['Hostname'] = 'dockerhost'; c.HostConfig['NetworkMode'] = 'host' }, undefined],
    ['a user hostname in host mode', (c: Json & { Config: Json; HostConfig: Json }) => { c.Config['Hostname'] = 'custom'; c.HostConfig['NetworkMode'] = 'host' }, 'custom'],
  ])('Hostname: %s', (_, edit, expected) => {
    const { body } = plan({ container: container(edit), engineHostname: 'dockerhost' })
    expect(body['Hostname']).toBe(expected)
  })
})

describe('planCreateBody: HostConfig', () => {
  it('copies user settings verbatim', () => {
    const settings = {
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      Binds: ['/srv/conf:/etc/app:ro'],
      Tmpfs: { '/run': 'size=64m' },
      CapAdd: ['NET_ADMIN'],
      CapDrop: ['MKNOD'],
      SecurityOpt: ['no-new-privileges'],
      Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
      Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
      DeviceRequests: [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }],
      Memory: 268435456,
      NanoCpus: 500000000,
      Init: true,
      Runtime: 'runc',
      ShmSize: 134217728,
      Dns: ['9.9.9.9'],
      ExtraHosts: ['db.internal:10.0.0.5'],
      LogConfig: { Type: 'local', Config: { 'max-size': '10m' } },
      Ulimits: [{ Name: 'nofile', Soft: 4096, Hard: 8192 }],
      PublishAllPorts: true,
      Annotations: { 'io.example': 'x' },
    }
    const { body } = plan({ container: container((c) => Object.assign(c.HostConfig, settings)) })
    expect(hostConfigOf(body)).toMatchObject(settings)
  })

  it('drops the default masked and read-only paths and keeps them unconfined', () => {
    expect(hostConfigOf(plan().body)).not.toHaveProperty('MaskedPaths')
    expect(hostConfigOf(plan().body)).not.toHaveProperty('ReadonlyPaths')
    const unconfined = plan({ container: container((c) => Object.assign(c.HostConfig, { MaskedPaths: [], ReadonlyPaths: [] })) })
    expect(hostConfigOf(unconfined.body)).toMatchObject({ MaskedPaths: [], ReadonlyPaths: [] })
  })

  it('joins a provider\'s network by name and sends nothing the Engine refuses in container: mode', () => {
    const { body, extraNetworks } = plan({
      container: container((c) => {
        c.Config['Hostname'] = SHORT_ID
        c.Config['Domainname'] = 'example.org'
        Object.assign(c.HostConfig, {
          NetworkMode: `container:${PROVIDER_ID}`,
          PortBindings: { '8080/tcp': [{ HostIp: '', HostPort: '8080' }] },
          PublishAllPorts: true,
          Dns: ['9.9.9.9'],
          ExtraHosts: ['a:10.0.0.1'],
          Links: ['/db:/web/db'],
        })
        c.NetworkSettings.Networks = {}
      }),
      containerNames: new Map([[PROVIDER_ID, 'vpn']]),
    })
    const hostConfig = hostConfigOf(body)
    expect(hostConfig['NetworkMode']).toBe('container:vpn')
    for (const field of ['PortBindings', 'Dns', 'ExtraHosts', 'Links']) expect(hostConfig, field).not.toHaveProperty(field)
    expect(hostConfig['PublishAllPorts']).toBe(false)
    for (const field of ['ExposedPorts', 'Hostname', 'Domainname', 'NetworkingConfig', 'MacAddress']) expect(body, field).not.toHaveProperty(field)
    expect(extraNetworks).toEqual([])
  })

  it('names IPC and PID providers by name', () => {
    const { body } = plan({
      container: container((c) => Object.assign(c.HostConfig, { IpcMode: `container:${PROVIDER_ID}`, PidMode: `container:${PROVIDER_ID.slice(0, 12)}` })),
      containerNames: new Map([[PROVIDER_ID, 'app-main']]),
    })
    expect(hostConfigOf(body)).toMatchObject({ IpcMode: 'container:app-main', PidMode: 'container:app-main' })
  })

  it('rewrites legacy links and VolumesFrom to names', () => {
    const { body } = plan({
      container: container((c) => Object.assign(c.HostConfig, { Links: ['/db:/web/database', `/${PROVIDER_ID}:/web/cache`], VolumesFrom: [`${PROVIDER_ID}:ro`, 'data-only'] })),
      containerNames: new Map([[PROVIDER_ID, 'redis']]),
    })
    expect(hostConfigOf(body)['Links']).toEqual(['db:database', 'redis:cache'])
    expect(hostConfigOf(body)['VolumesFrom']).toEqual(['redis:ro', 'data-only'])
  })

  it('notes that AutoRemove leaves no rollback after the stop', () => {
    expect(plan().notes).toEqual([])
    const { notes, body } = plan({ container: container((c) => { c.HostConfig['AutoRemove'] = true }) })
    expect(hostConfigOf(body)['AutoRemove']).toBe(true)
    expect(notes.join('\n')).toMatch(/AutoRemove.*no rollback/)
  })
})

describe('planCreateBody: volumes', () => {
  it('mounts anonymous volumes by name in place of the declarations that would make new empty ones', () => {
    const { body } = plan({
      container: container((c) => {
        c.Config['Volumes'] = { '/img': {}, '/data': {}, '/named': {} }
        c.HostConfig['Binds'] = ['named-vol:/named', '/srv/conf:/conf:ro']
        c.HostConfig['Tmpfs'] = { '/run': '' }
        c['Mounts'] = [
          { Type: 'volume', Name: 'img-volume', Destination: '/img', Driver: 'local', RW: true },
          { Type: 'volume', Name: 'data-volume', Destination: '/data', Driver: 'local', RW: false },
          { Type: 'volume', Name: 'named-vol', Destination: '/named', Driver: 'local', RW: true },
          { Type: 'bind', Source: '/srv/conf', Destination: '/conf', RW: false },
          { Type: 'tmpfs', Source: '', Destination: '/run', RW: true },
        ]
      }),
    })
    expect(hostConfigOf(body)['Mounts']).toEqual([
      { Type: 'volume', Source: 'img-volume', Target: '/img', ReadOnly: false },
      { Type: 'volume', Source: 'data-volume', Target: '/data', ReadOnly: true },
    ])
    expect(hostConfigOf(body)['Binds']).toEqual(['named-vol:/named', '/srv/conf:/conf:ro'])
    expect(body['Volumes']).toEqual({ '/named': {} })
  })

  it('replaces a source-less mount or one-part bind with the same target instead of adding a duplicate', () => {
    const { body } = plan({
      container: container((c) => {
        c.Config['Volumes'] = {}
        c.HostConfig['Mounts'] = [{ Type: 'volume', Target: '/scratch' }, { Type: 'volume', Source: 'keep', Target: '/keep' }]
        c.HostConfig['Binds'] = ['/spool']
        c['Mounts'] = [
          { Type: 'volume', Name: 'scratch-volume', Destination: '/scratch', Driver: 'local', RW: true },
          { Type: 'volume', Name: 'keep', Destination: '/keep', Driver: 'local', RW: true },
          { Type: 'volume', Name: 'spool-volume', Destination: '/spool', Driver: 'local', RW: true },
        ]
      }),
    })
    expect(hostConfigOf(body)['Mounts']).toEqual([
      { Type: 'volume', Source: 'keep', Target: '/keep' },
      { Type: 'volume', Source: 'scratch-volume', Target: '/scratch', ReadOnly: false },
      { Type: 'volume', Source: 'spool-volume', Target: '/spool', ReadOnly: false },
    ])
    expect(hostConfigOf(body)['Binds']).toEqual([])
  })

  it('leaves volumes seen through VolumesFrom to the container that owns them', () => {
    const { body } = plan({
      container: container((c) => {
        c.Config['Volumes'] = null
        c.HostConfig['VolumesFrom'] = ['data-only']
        c['Mounts'] = [{ Type: 'volume', Name: 'data-only-volume', Destination: '/shared', Driver: 'local', RW: true }]
      }),
    })
    expect(hostConfigOf(body)).not.toHaveProperty('Mounts')
  })

  it('keeps a plugin volume with its driver', () => {
    const { body } = plan({ container: container((c) => { c['Mounts'] = [{ Type: 'volume', Name: 'nfs-volume', Destination: '/img', Driver: 'nfs', RW: true }] }) })
    expect(hostConfigOf(body)['Mounts']).toEqual([{ Type: 'volume', Source: 'nfs-volume', Target: '/img', ReadOnly: false, VolumeOptions: { DriverConfig: { Name: 'nfs' } } }])
  })

  it('notes an image volume the new image no longer declares, and keeps it', () => {
    const { body, notes } = plan({ newImage: image({ Id: NEW_IMAGE_ID }, { Volumes: { '/other': {} } }) })
    expect(hostConfigOf(body)['Mounts']).toEqual([{ Type: 'volume', Source: 'img-volume', Target: '/img', ReadOnly: false }])
    expect(notes.join('\n')).toMatch(/img-volume.*\/img.*no longer declares/)
    expect(plan().notes).toEqual([])
  })
})

describe('planCreateBody: networks', () => {
  function twoNetworks(c: Json & { Config: Json; HostConfig: Json; NetworkSettings: { Networks: Record<string, Json> } }): void {
    c.Config['Hostname'] = 'custom'
    c.HostConfig['NetworkMode'] = 'back'
    c.NetworkSettings.Networks = {
      front: userNetwork({ Aliases: ['www', SHORT_ID, 'custom'], DriverOpts: { 'com.example.opt': '1' }, IPAMConfig: {} }),
      back: userNetwork({ Aliases: ['api', SHORT_ID], IPAMConfig: { IPv4Address: '10.1.0.50' }, Links: ['db:database'], GwPriority: 10 }),
    }
  }
  const expectedBack = { IPAMConfig: { IPv4Address: '10.1.0.50' }, Aliases: ['api'], Links: ['db:database'], GwPriority: 10 }
  const expectedFront = { Aliases: ['www', 'custom'], DriverOpts: { 'com.example.opt': '1' } }

  it('below 1.44 creates on the primary network only and connects the others afterwards', () => {
    const { body, extraNetworks } = plan({ container: container(twoNetworks), apiVersion: '1.41' })
    expect(hostConfigOf(body)['NetworkMode']).toBe('back')
    expect(endpointsOf(body)).toEqual({ back: expectedBack })
    expect(extraNetworks).toEqual([{ name: 'front', endpointConfig: expectedFront }])
  })

  it('from 1.44 sends every network in one create', () => {
    const { body, extraNetworks } = plan({ container: container(twoNetworks), apiVersion: '1.45' })
    expect(endpointsOf(body)).toEqual({ back: expectedBack, front: expectedFront })
    expect(Object.keys(endpointsOf(body) ?? {})[0]).toBe('back')
    expect(extraNetworks).toEqual([])
  })

  it('makes an attached network primary when NetworkMode names one the container left', () => {
    const { body, extraNetworks } = plan({
      container: container((c) => {
        c.HostConfig['NetworkMode'] = 'gone'
        c.NetworkSettings.Networks = { only: userNetwork({ Aliases: ['svc'] }) }
      }),
    })
    expect(hostConfigOf(body)['NetworkMode']).toBe('only')
    expect(endpointsOf(body)).toEqual({ only: { Aliases: ['svc'] } })
    expect(extraNetworks).toEqual([])
  })

  it('sends no aliases or static addresses on the default bridge', () => {
    const { body } = plan({
      container: container((c) => { c.NetworkSettings.Networks['bridge'] = { ...userNetwork(), Aliases: [SHORT_ID, 'x'], IPAMConfig: { IPv4Address: '172.17.0.9' } } }),
    })
    expect(hostConfigOf(body)['NetworkMode']).toBe('default')
    expect(endpointsOf(body)).toEqual({ bridge: {} })
  })

  it.each(['host', 'none'])('sends no NetworkingConfig in %s mode', (mode) => {
    const { body, extraNetworks } = plan({
      container: container((c) => {
        c.HostConfig['NetworkMode'] = mode
        c.NetworkSettings.Networks = { [mode]: userNetwork({ Aliases: null }) }
      }),
      apiVersion: '1.45',
    })
    expect(body).not.toHaveProperty('NetworkingConfig')
    expect(extraNetworks).toEqual([])
  })

  it('from 1.44 moves a user MAC onto the primary endpoint', () => {
    const { body } = plan({ container: container((c) => { twoNetworks(c); c.Config['MacAddress'] = '02:00:00:00:00:aa' }), apiVersion: '1.44' })
    expect(body).not.toHaveProperty('MacAddress')
    expect(endpointsOf(body)?.['back']?.['MacAddress']).toBe('02:00:00:00:00:aa')
    expect(endpointsOf(body)?.['front']).not.toHaveProperty('MacAddress')
  })

  it('below 1.44 keeps a user MAC in Config, where that API reads it', () => {
    const { body } = plan({ container: container((c) => { twoNetworks(c); c.Config['MacAddress'] = '02:00:00:00:00:aa' }), apiVersion: '1.43' })
    expect(body['MacAddress']).toBe('02:00:00:00:00:aa')
    expect(endpointsOf(body)?.['back']).not.toHaveProperty('MacAddress')
  })

  it('never copies the MAC, address or IDs the Engine assigned', () => {
    const { body } = plan({ container: container(twoNetworks), apiVersion: '1.45' })
    const sent = JSON.stringify(body)
    for (const assigned of ['02:42:0a:01:00:05', '10.1.0.5"', 'EndpointID', 'NetworkID', 'DNSNames', 'Gateway', SHORT_ID]) {
      expect(sent, assigned).not.toContain(assigned)
    }
  })
})

describe('planCreateBody: the rest', () => {
  it('passes the old image\'s platform, with its variant', () => {
    expect(plan().platform).toBe('linux/amd64')
    expect(plan({ oldImage: image({ Architecture: 'arm', Variant: 'v7' }) }).platform).toBe('linux/arm/v7')
  })

  it('points compose\'s image label at the new image', () => {
    const { body } = plan({ container: container((c) => { c.Config['Labels'] = { 'com.docker.compose.image': OLD_IMAGE_ID, 'com.docker.compose.service': 'web' } }) })
    expect(body['Labels']).toEqual({ 'com.docker.compose.image': NEW_IMAGE_ID, 'com.docker.compose.service': 'web' })
    expect(plan().body).not.toHaveProperty('Labels')
  })

  it('sends only create fields: nothing of the container\'s state or identity leaks', () => {
    const { body } = plan({ container: container(twoNetworksAndMore) })
    expect(Object.keys(body).sort()).toEqual(['Env', 'HostConfig', 'Hostname', 'Image', 'Labels', 'MacAddress', 'NetworkingConfig', 'OpenStdin', 'Tty'])
    const sent = JSON.stringify(body)
    for (const leaked of [ID, OLD_IMAGE_ID, '"State"', '"/web"', '"Created"', '"Platform"', '"Mounts":[{"Type":"volume","Name"', 'NetworkSettings', '172.17.0.2']) {
      expect(sent, leaked).not.toContain(leaked)
    }
  })

  it('leaves its inputs untouched', () => {
    const inputs = { container: container(twoNetworksAndMore), oldImage: image(), newImage: image({ Id: NEW_IMAGE_ID }), apiVersion: '1.45', containerNames: new Map<string, string>() }
    const before = structuredClone(inputs)
    planCreateBody(inputs)
    expect(inputs).toEqual(before)
  })
})

function twoNetworksAndMore(c: Json & { Config: Json; HostConfig: Json; NetworkSettings: { Networks: Record<string, Json> } }): void {
  c.Config['Hostname'] = 'custom'
  c.Config['Env'] = ['MODE=staging']
  c.Config['MacAddress'] = '02:00:00:00:00:aa'
  c.Config['Labels'] = { 'com.docker.compose.image': OLD_IMAGE_ID }
  c.HostConfig['NetworkMode'] = 'back'
  c.NetworkSettings.Networks = {
    front: userNetwork({ Aliases: ['www', SHORT_ID] }),
    back: userNetwork({ IPAMConfig: { IPv4Address: '10.1.0.50' } }),
  }
}
