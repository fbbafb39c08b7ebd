import { isImageId } from '../../src/image-reference.ts'
import type { EngineClient } from '../docker/engine.ts'

/** A container the generator offers as a deploy target. */
export interface ContainerChoice {
  name: string
  image: string
  /** The Engine's state word: running, exited, restarting, paused, created … */
  state: string
}

/**
 * Every container on the Engine (running or not) except the one this process runs in, by name.
 * The list API's `Image` turns into an image ID when the tag has moved on; for those the
 * container's own `Config.Image` says what it was made from.
 */
export async function deployableContainers(engine: EngineClient, isOwnContainer: (id: string) => boolean): Promise<ContainerChoice[]> {
  const summaries = await engine.listContainers({ all: true })
  const choices = await Promise.all(
    summaries
      .filter((summary) => !isOwnContainer(summary.Id))
      .map(async (summary): Promise<ContainerChoice | undefined> => {
        // Legacy links add names like `/app/db`; the container's own name is the one without a second slash.
        const name = summary.Names.find((entry) => entry.lastIndexOf('/') === 0)?.slice(1)
        if (!name) return undefined
        const image = isImageId(summary.Image) ? ((await engine.inspectContainer(summary.Id))?.Config.Image ?? summary.Image) : summary.Image
        return { name, image, state: summary.State }
      }),
  )
  return choices.filter((choice): choice is ContainerChoice => choice !== undefined).sort((a, b) => a.name.localeCompare(b.name))
}
