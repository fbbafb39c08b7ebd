import type { ContainerConfig, Healthcheck } from '../docker/types.ts'

const HEALTHCHECK_FIELDS = ['Test', 'Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const

/**
 * A container's Config without what the Engine merged in from its image at create time (moby
 * `daemon/commit.go` `merge`), so the replacement takes the new image's defaults instead of pinning
 * the old ones (recreate-fidelity.md §2). A user value equal to the image's default cannot be told
 * apart from it and goes too: the new image then decides, which is what the default meant.
 *
 * `ExposedPorts` loses only the image's ports here; the caller adds back every published port.
 */
export function withoutImageDefaults(config: ContainerConfig, image: ContainerConfig): ContainerConfig {
  const result: ContainerConfig = { ...config }
  for (const field of ['User', 'WorkingDir', 'StopSignal'] as const) {
    if ((config[field] ?? '') === (image[field] ?? '')) delete result[field]
  }
  // The Engine fills Cmd from the image only when the entrypoint is not overridden; an overridden
  // entrypoint keeps Cmd as the user gave it, even when it happens to equal the image's.
  if (sameList(config.Entrypoint, image.Entrypoint)) {
    delete result.Entrypoint
    if (sameList(config.Cmd, image.Cmd)) {
      delete result.Cmd
      delete result['ArgsEscaped']
    }
  }
  const imageEnv = new Set(image.Env ?? [])
  result.Env = nonEmpty(config.Env?.filter((entry) => !imageEnv.has(entry)))
  result.Labels = nonEmptyRecord(Object.entries(config.Labels ?? {}).filter(([key, value]) => image.Labels?.[key] !== value))
  result.Volumes = nonEmptyRecord(Object.entries(config.Volumes ?? {}).filter(([path]) => !Object.hasOwn(image.Volumes ?? {}, path)))
  result.ExposedPorts = nonEmptyRecord(Object.entries(config.ExposedPorts ?? {}).filter(([port]) => !Object.hasOwn(image.ExposedPorts ?? {}, port)))
  result.Healthcheck = withoutHealthcheckDefaults(config.Healthcheck, image.Healthcheck)
  for (const field of ['Env', 'Labels', 'Volumes', 'ExposedPorts', 'Healthcheck'] as const) {
    if (result[field] === undefined) delete result[field]
  }
  return result
}

/** The Engine merges the healthcheck field by field, so each field is compared on its own. */
function withoutHealthcheckDefaults(own: Healthcheck | null | undefined, image: Healthcheck | null | undefined): Healthcheck | undefined {
  if (!own) return undefined
  const result: Healthcheck = { ...own }
  for (const field of HEALTHCHECK_FIELDS) {
    // ["NONE"] is how a user turns an inherited healthcheck off: it must survive an image that has one.
    if (field === 'Test' && own.Test?.length === 1 && own.Test[0] === 'NONE') continue
    const same = field === 'Test' ? sameList(own.Test, image?.Test) : (own[field] ?? 0) === (image?.[field] ?? 0)
    if (same) delete result[field]
  }
  return Object.keys(result).length > 0 ? result : undefined
}

function sameList(a: readonly string[] | null | undefined, b: readonly string[] | null | undefined): boolean {
  const left = a ?? []
  const right = b ?? []
  return left.length === right.length && left.every((item, i) => item === right[i])
}

function nonEmpty<T>(list: T[] | undefined): T[] | undefined {
  return list?.length ? list : undefined
}

function nonEmptyRecord<T>(entries: [string, T][]): Record<string, T> | undefined {
  return entries.length ? Object.fromEntries(entries) : undefined
}
