import { z } from 'zod'

/*
 * The parts of the Engine's answers dockhook relies on, validated at the boundary. Objects are
 * loose: every other field the Engine sends is kept, because a recreate must carry settings this
 * file never names (recreate-fidelity.md §2).
 */

const stringList = z.array(z.string()).nullish()
const stringMap = z.record(z.string(), z.string()).nullish()

export const HealthcheckSchema = z.looseObject({
  Test: stringList,
  Interval: z.number().nullish(),
  Timeout: z.number().nullish(),
  StartPeriod: z.number().nullish(),
  StartInterval: z.number().nullish(),
  Retries: z.number().nullish(),
})
export type Healthcheck = z.infer<typeof HealthcheckSchema>

export const ContainerConfigSchema = z.looseObject({
  Hostname: z.string().nullish(),
  Domainname: z.string().nullish(),
  User: z.string().nullish(),
  Env: stringList,
  Cmd: stringList,
  Entrypoint: stringList,
  Image: z.string().nullish(),
  Labels: stringMap,
  Volumes: z.record(z.string(), z.unknown()).nullish(),
  ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
  WorkingDir: z.string().nullish(),
  StopSignal: z.string().nullish(),
  StopTimeout: z.number().nullish(),
  Healthcheck: HealthcheckSchema.nullish(),
  MacAddress: z.string().nullish(),
})
export type ContainerConfig = z.infer<typeof ContainerConfigSchema>

export const EndpointSettingsSchema = z.looseObject({
  IPAMConfig: z.looseObject({ IPv4Address: z.string().nullish(), IPv6Address: z.string().nullish() }).nullish(),
  Aliases: stringList,
  Links: stringList,
  DriverOpts: stringMap,
  NetworkID: z.string().nullish(),
  MacAddress: z.string().nullish(),
  IPAddress: z.string().nullish(),
})
export type EndpointSettings = z.infer<typeof EndpointSettingsSchema>

export const ContainerStateSchema = z.looseObject({
  Status: z.string(),
  Running: z.boolean(),
  Paused: z.boolean().nullish(),
  Restarting: z.boolean().nullish(),
  ExitCode: z.number().nullish(),
  StartedAt: z.string().nullish(),
  FinishedAt: z.string().nullish(),
  Error: z.string().nullish(),
  Health: z.looseObject({ Status: z.string() }).nullish(),
})
export type ContainerState = z.infer<typeof ContainerStateSchema>

export const MountPointSchema = z.looseObject({
  Type: z.string().nullish(),
  Name: z.string().nullish(),
  Source: z.string().nullish(),
  Destination: z.string(),
  RW: z.boolean().nullish(),
})
export type MountPoint = z.infer<typeof MountPointSchema>

export const ContainerInspectSchema = z.looseObject({
  Id: z.string(),
  Name: z.string(),
  Image: z.string(),
  Created: z.string().nullish(),
  RestartCount: z.number().nullish(),
  State: ContainerStateSchema,
  Config: ContainerConfigSchema,
  HostConfig: z.looseObject({
    NetworkMode: z.string().nullish(),
    PortBindings: z.record(z.string(), z.unknown()).nullish(),
    Binds: stringList,
    Mounts: z.array(z.looseObject({ Type: z.string().nullish(), Source: z.string().nullish(), Target: z.string() })).nullish(),
    AutoRemove: z.boolean().nullish(),
    UTSMode: z.string().nullish(),
    IpcMode: z.string().nullish(),
    PidMode: z.string().nullish(),
    VolumesFrom: stringList,
    Links: stringList,
  }),
  NetworkSettings: z.looseObject({ Networks: z.record(z.string(), EndpointSettingsSchema).nullish() }),
  Mounts: z.array(MountPointSchema).nullish(),
  Platform: z.string().nullish(),
})
export type ContainerInspect = z.infer<typeof ContainerInspectSchema>

export const ContainerSummarySchema = z.looseObject({
  Id: z.string(),
  Names: z.array(z.string()),
  Image: z.string(),
  ImageID: z.string().nullish(),
  State: z.string(),
  Status: z.string().nullish(),
  Labels: stringMap,
})
export type ContainerSummary = z.infer<typeof ContainerSummarySchema>

export const ImageInspectSchema = z.looseObject({
  Id: z.string(),
  RepoTags: stringList,
  RepoDigests: stringList,
  Os: z.string().nullish(),
  Architecture: z.string().nullish(),
  Variant: z.string().nullish(),
  Config: ContainerConfigSchema.nullish(),
})
export type ImageInspect = z.infer<typeof ImageInspectSchema>

export const EngineVersionSchema = z.looseObject({
  Version: z.string(),
  ApiVersion: z.string(),
  MinAPIVersion: z.string().nullish(),
  Os: z.string().nullish(),
  Arch: z.string().nullish(),
})
export type EngineVersion = z.infer<typeof EngineVersionSchema>

export const EngineInfoSchema = z.looseObject({
  ID: z.string().nullish(),
  Name: z.string().nullish(),
  ServerVersion: z.string().nullish(),
  Containers: z.number().nullish(),
})
export type EngineInfo = z.infer<typeof EngineInfoSchema>

export const DistributionInspectSchema = z.looseObject({
  Descriptor: z.looseObject({ mediaType: z.string().nullish(), digest: z.string(), size: z.number().nullish() }),
  Platforms: z.array(z.looseObject({ architecture: z.string().nullish(), os: z.string().nullish() })).nullish(),
})
export type DistributionInspect = z.infer<typeof DistributionInspectSchema>

export const CreatedContainerSchema = z.looseObject({ Id: z.string(), Warnings: stringList })
export type CreatedContainer = z.infer<typeof CreatedContainerSchema>

/** One line of an image pull's progress stream. */
export interface PullProgress {
  status: string
  id?: string
  progress?: string
}
