import { compareApiVersions } from '../docker/api-version.ts'
import type { ContainerConfig, ContainerInspect, EndpointSettings, ImageInspect, MountPoint } from '../docker/types.ts'
import { withoutImageDefaults } from './image-defaults.ts'

export interface RecreateInputs {
  /** The old container, inspected at the negotiated API version (≤ 1.51, so a user-set MAC is visible). */
  container: ContainerInspect
  /** The old container's image, by ID: its Config holds the defaults to strip. Undefined when the image is gone. */
  oldImage: ImageInspect | undefined
  /** The image the replacement will run. */
  newImage: ImageInspect
  /** The negotiated API version the body is sent with, e.g. "1.41". */
  apiVersion: string
  /** `GET /info` `.Name`: the hostname the Engine copies into host-network containers. */
  engineHostname?: string | undefined
  /** Container ID → name, to turn `container:<id>`, VolumesFrom and links into names that survive a recreate. */
  containerNames: ReadonlyMap<string, string>
}

export interface CreatePlan {
  /** The `POST /containers/create` body. */
  body: Record<string, unknown>
  /** `os/arch[/variant]` of the old image, for `?platform=` on pull and create. */
  platform: string | undefined
  /** Below API 1.44 create takes one endpoint: connect these to the new container before starting it. */
  extraNetworks: { name: string; endpointConfig: Record<string, unknown> }[]
  /** Warnings for the deploy log. */
  notes: string[]
}

/** From this version create accepts several endpoints and an endpoint-level MAC (moby PR #45906). */
const MULTI_ENDPOINT_API = '1.44'
/** Compose recreates a container whose label differs from the local image ID (recreate-fidelity.md §8). */
const COMPOSE_IMAGE_LABEL = 'com.docker.compose.image'
/** Networks on which the Engine refuses aliases and static addresses (`validateEndpointSettings`). */
const BUILT_IN_NETWORKS = new Set(['bridge', 'host', 'none'])

type HostConfig = ContainerInspect['HostConfig']

/**
 * Turns an inspected container into the body that creates an equivalent replacement: every user
 * setting carried over, image and daemon defaults left for the new image and the daemon to fill in
 * again, anonymous volumes kept by name, every network with its aliases and static addresses.
 * Pure: the caller inspects, creates and connects. The rules and their sources are in
 * docs/recreate-fidelity.md §2–§3.
 *
 * @example
 * const plan = planCreateBody({ container, oldImage, newImage, apiVersion: '1.41', containerNames })
 * const created = await engine.createContainer({ name: temporaryName, platform: plan.platform, body: plan.body })
 * for (const { name, endpointConfig } of plan.extraNetworks) await engine.connectNetwork(name, created.Id, endpointConfig)
 */
export function planCreateBody(inputs: RecreateInputs): CreatePlan {
  const { container, oldImage, newImage, apiVersion } = inputs
  const notes: string[] = []
  const nameOf = (idOrName: string): string => containerName(idOrName, inputs.containerNames)
  const shortId = container.Id.slice(0, 12)

  const inspected = structuredClone(container.Config)
  let config: ContainerConfig
  if (oldImage) {
    config = withoutImageDefaults(inspected, oldImage.Config ?? {})
  } else {
    config = inspected
    notes.push('the old image is gone, so its defaults (env, labels, command, healthcheck…) cannot be told from user settings and are all carried over')
  }
  config.Image = container.Config.Image || container.Image

  const hostConfig: HostConfig = structuredClone(container.HostConfig)
  for (const field of ['NetworkMode', 'IpcMode', 'PidMode'] as const) {
    const mode = hostConfig[field]
    if (mode?.startsWith('container:')) hostConfig[field] = `container:${nameOf(mode.slice('container:'.length))}`
  }
  const networkMode = hostConfig.NetworkMode ?? 'default'
  const sharesNetwork = networkMode.startsWith('container:')

  // A hostname the daemon made up (the short ID, or the host's name in host mode) must not be pinned,
  // and in a shared UTS or network namespace the Engine refuses any hostname.
  if (
    !config.Hostname ||
    config.Hostname === shortId ||
    sharesNetwork ||
    hostConfig.UTSMode === 'host' ||
    (networkMode === 'host' && config.Hostname === inputs.engineHostname)
  ) {
    delete config.Hostname
  }
  if (sharesNetwork || !config.Domainname) delete config.Domainname

  if (sharesNetwork) {
    // The network's owner publishes the ports and owns DNS; the Engine rejects these here, even the image's ports.
    delete config.ExposedPorts
    delete config.MacAddress
    for (const field of ['PortBindings', 'Dns', 'ExtraHosts', 'Links'] as const) delete hostConfig[field]
    hostConfig['PublishAllPorts'] = false
  } else {
    const published = Object.keys(hostConfig.PortBindings ?? {})
    if (published.length) config.ExposedPorts = { ...config.ExposedPorts, ...Object.fromEntries(published.map((port) => [port, {}])) }
  }

  // Inspect fills these in when the user left them unset, and sending the defaults back equals the
  // Engine's own defaults except for an empty list, which is `--security-opt systempaths=unconfined`.
  for (const field of ['MaskedPaths', 'ReadonlyPaths'] as const) {
    const paths = hostConfig[field]
    if (!Array.isArray(paths) || paths.length > 0) delete hostConfig[field]
  }
  // LogConfig and Ulimits are kept although inspect shows the daemon's defaults for them too: the
  // user's log driver and limits (e.g. max-size, nofile) must survive, and pinning the values this
  // container already ran with only matters if the daemon's defaults change later.

  if (hostConfig.Links) hostConfig.Links = hostConfig.Links.map((link) => rewriteLink(link, nameOf))
  if (hostConfig.VolumesFrom) {
    hostConfig.VolumesFrom = hostConfig.VolumesFrom.map((entry) => {
      const [source = '', mode] = entry.split(':')
      return mode === undefined ? nameOf(source) : `${nameOf(source)}:${mode}`
    })
  }

  carryAnonymousVolumes(container, config, hostConfig, oldImage, newImage, notes)

  if (Object.hasOwn(container.Config.Labels ?? {}, COMPOSE_IMAGE_LABEL)) config.Labels = { ...config.Labels, [COMPOSE_IMAGE_LABEL]: newImage.Id }

  if (hostConfig.AutoRemove) {
    // Its anonymous volumes survive that removal: the replacement already mounts them by name.
    notes.push('AutoRemove is set: the Engine deletes the old container as soon as it stops, so there is no rollback after that point')
  }

  if (!config.MacAddress) delete config.MacAddress
  const networks = planNetworks(container, config, hostConfig, apiVersion, nameOf)
  const body: Record<string, unknown> = { ...config, HostConfig: hostConfig }
  if (networks.endpointsConfig) body['NetworkingConfig'] = { EndpointsConfig: networks.endpointsConfig }
  return { body, platform: platformOf(oldImage), extraNetworks: networks.extra, notes }
}

/**
 * Anonymous volumes would come back empty in a new container, so each one is mounted by its volume
 * name instead (what compose does, `buildContainerMountOptions`). Only mounts this container declares
 * count: image or `-v /path` volumes (Config.Volumes) and source-less mounts; a volume seen through
 * VolumesFrom belongs to the other container and keeps following it.
 */
function carryAnonymousVolumes(
  container: ContainerInspect,
  config: ContainerConfig,
  hostConfig: HostConfig,
  oldImage: ImageInspect | undefined,
  newImage: ImageInspect,
  notes: string[],
): void {
  const binds = (hostConfig.Binds ?? []).map((bind) => ({ bind, parts: bind.split(':') }))
  const sourced = new Set<string>()
  const sourceless = new Set<string>()
  for (const { parts } of binds) {
    if (parts.length === 1) sourceless.add(parts[0] ?? '')
    else sourced.add(parts[1] ?? '')
  }
  for (const mount of hostConfig.Mounts ?? []) {
    if (mount.Source) sourced.add(mount.Target)
    else if ((mount.Type ?? 'volume') === 'volume') sourceless.add(mount.Target)
  }
  const declared = new Set([...Object.keys(container.Config.Volumes ?? {}), ...sourceless])
  const anonymous = (container.Mounts ?? []).filter(
    (mount): mount is MountPoint & { Name: string } =>
      mount.Type === 'volume' && !!mount.Name && declared.has(mount.Destination) && !sourced.has(mount.Destination),
  )
  if (anonymous.length === 0) return

  const carried = new Set(anonymous.map((mount) => mount.Destination))
  // A second mount on the same target fails create with "Duplicate mount point".
  const keptMounts = (hostConfig.Mounts ?? []).filter((mount) => mount.Source || !carried.has(mount.Target))
  hostConfig.Mounts = [...keptMounts, ...anonymous.map(namedMount)]
  if (hostConfig.Binds) hostConfig.Binds = binds.filter(({ parts }) => parts.length > 1 || !carried.has(parts[0] ?? '')).map(({ bind }) => bind)
  if (config.Volumes) {
    for (const target of carried) delete config.Volumes[target]
    if (Object.keys(config.Volumes).length === 0) delete config.Volumes
  }

  const fromOldImageOnly = (target: string): boolean =>
    Object.hasOwn(oldImage?.Config?.Volumes ?? {}, target) && !sourceless.has(target) && !Object.hasOwn(newImage.Config?.Volumes ?? {}, target)
  for (const mount of anonymous) {
    if (fromOldImageOnly(mount.Destination)) {
      notes.push(`volume ${mount.Name} stays mounted at ${mount.Destination} to keep its data, although the new image no longer declares that volume`)
    }
  }
}

// A type alias, not an interface: HostConfig.Mounts entries are open records.
type NamedVolumeMount = {
  Type: 'volume'
  Source: string
  Target: string
  ReadOnly: boolean
  VolumeOptions?: { DriverConfig: { Name: string } }
}

function namedMount(mount: MountPoint & { Name: string }): NamedVolumeMount {
  const driver = typeof mount['Driver'] === 'string' ? mount['Driver'] : ''
  return {
    Type: 'volume',
    Source: mount.Name,
    Target: mount.Destination,
    ReadOnly: mount.RW === false,
    // The local driver is the default; naming any other one keeps a plugin volume with its plugin.
    ...(driver && driver !== 'local' ? { VolumeOptions: { DriverConfig: { Name: driver } } } : {}),
  }
}

interface NetworkPlan {
  endpointsConfig: Record<string, Record<string, unknown>> | undefined
  extra: CreatePlan['extraNetworks']
}

function planNetworks(
  container: ContainerInspect,
  config: ContainerConfig,
  hostConfig: HostConfig,
  apiVersion: string,
  nameOf: (idOrName: string) => string,
): NetworkPlan {
  const mode = hostConfig.NetworkMode ?? 'default'
  const attached = Object.entries(container.NetworkSettings.Networks ?? {})
  // host, none and container: have no endpoints of their own to configure (compose `defaultNetworkSettings`).
  if (mode === 'host' || mode === 'none' || mode.startsWith('container:') || attached.length === 0) return { endpointsConfig: undefined, extra: [] }

  const modeName = mode === 'default' ? 'bridge' : mode
  const primaryIndex = attached.findIndex(([name, endpoint]) => name === modeName || (modeName.length >= 12 && !!endpoint.NetworkID?.startsWith(modeName)))
  // NetworkMode may name a network the container was disconnected from; it must name one it is created on.
  if (primaryIndex < 0) hostConfig.NetworkMode = attached[0]?.[0]
  const ordered = primaryIndex > 0 ? [attached[primaryIndex]!, ...attached.filter((_, i) => i !== primaryIndex)] : attached

  const shortId = container.Id.slice(0, 12)
  const endpoints = ordered.map(([name, endpoint]) => ({ name, endpointConfig: endpointConfigOf(name, endpoint, shortId, nameOf) }))
  const multiEndpoint = compareApiVersions(apiVersion, MULTI_ENDPOINT_API) >= 0
  // Inspect's endpoint MAC may be one the Engine generated; only Config.MacAddress is what the user asked for.
  // From 1.44 it belongs on the primary endpoint (Config.MacAddress is deprecated, and rejected from 1.52);
  // below 1.44 endpoint MACs are ignored and Config.MacAddress is the only place for it.
  const primary = endpoints[0]
  if (multiEndpoint && config.MacAddress && primary) {
    primary.endpointConfig['MacAddress'] = config.MacAddress
    delete config.MacAddress
  }

  const inBody = multiEndpoint ? endpoints : endpoints.slice(0, 1)
  return {
    endpointsConfig: Object.fromEntries(inBody.map(({ name, endpointConfig }) => [name, endpointConfig])),
    extra: multiEndpoint ? [] : endpoints.slice(1),
  }
}

/** Only what the user chose: addresses, names and options the Engine assigned are left for it to assign again. */
function endpointConfigOf(name: string, endpoint: EndpointSettings, shortId: string, nameOf: (idOrName: string) => string): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  if (!BUILT_IN_NETWORKS.has(name)) {
    const ipam = staticAddresses(endpoint.IPAMConfig)
    if (ipam) result['IPAMConfig'] = ipam
    // Inspect below 1.45 lists the short ID (and so a default hostname) as an alias; sent back it
    // would become a real alias and pile up with every recreate.
    const aliases = [...new Set(endpoint.Aliases ?? [])].filter((alias) => alias !== shortId)
    if (aliases.length) result['Aliases'] = aliases
  }
  if (endpoint.Links?.length) result['Links'] = endpoint.Links.map((link) => rewriteLink(link, nameOf))
  if (endpoint.DriverOpts && Object.keys(endpoint.DriverOpts).length) result['DriverOpts'] = { ...endpoint.DriverOpts }
  const gwPriority = endpoint['GwPriority']
  if (typeof gwPriority === 'number' && gwPriority !== 0) result['GwPriority'] = gwPriority
  return result
}

function staticAddresses(ipam: EndpointSettings['IPAMConfig']): Record<string, unknown> | undefined {
  if (!ipam) return undefined
  const result: Record<string, unknown> = {}
  if (ipam.IPv4Address) result['IPv4Address'] = ipam.IPv4Address
  if (ipam.IPv6Address) result['IPv6Address'] = ipam.IPv6Address
  const linkLocal = ipam['LinkLocalIPs']
  if (Array.isArray(linkLocal) && linkLocal.length) result['LinkLocalIPs'] = [...linkLocal]
  return Object.keys(result).length ? result : undefined
}

/**
 * Inspect shows a legacy link as `/target:/self/alias`; the Engine parses that form, but the
 * target may be an ID, which would not survive the target's own recreate, so it becomes `name:alias`.
 */
function rewriteLink(link: string, nameOf: (idOrName: string) => string): string {
  const [target = '', alias] = link.split(':')
  const name = nameOf(target)
  if (alias === undefined) return name
  return `${name}:${alias.slice(alias.lastIndexOf('/') + 1)}`
}

function containerName(idOrName: string, names: ReadonlyMap<string, string>): string {
  const ref = idOrName.replace(/^\//, '')
  let name = names.get(ref)
  // A short ID is accepted where a full one is; it must not match two containers.
  if (name === undefined && /^[0-9a-f]{12,63}$/.test(ref)) {
    const matches = [...names].filter(([id]) => id.startsWith(ref))
    if (matches.length === 1) name = matches[0]?.[1]
  }
  return (name ?? ref).replace(/^\//, '')
}

function platformOf(image: ImageInspect | undefined): string | undefined {
  if (!image?.Os || !image.Architecture) return undefined
  return [image.Os, image.Architecture, image.Variant].filter(Boolean).join('/')
}
