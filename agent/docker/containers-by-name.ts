import { isImageId } from '../../src/image-reference.ts'
import type { EngineClient } from './engine.ts'
import type { ContainerSummary } from './types.ts'

/**
 * The containers with exactly these names, from one list call. The list API answers quickly even
 * while the Engine is stopping or starting a container, when an inspect of it waits (often
 * 100–300 ms): webhook and deploy requests use this to answer within their senders' timeouts.
 */
export async function containersByName(engine: EngineClient, names: readonly string[]): Promise<Map<string, ContainerSummary>> {
  if (!names.length) return new Map()
  // The name filter matches substrings; only exact names count.
  const listed = await engine.listContainers({ all: true, filters: { name: [...new Set(names)] } })
  const wanted = new Set(names)
  const found = new Map<string, ContainerSummary>()
  for (const container of listed) {
    for (const name of container.Names.map((n) => n.replace(/^\//, ''))) {
      if (wanted.has(name)) found.set(name, container)
    }
  }
  return found
}

/**
 * Each named container's image reference as the user gave it (`Config.Image`). The list API's
 * `Image` is that reference until the tag moves to another image, when it degrades to the image
 * ID; only then is the container inspected.
 */
export async function imageReferencesByName(engine: EngineClient, names: readonly string[]): Promise<Map<string, string>> {
  const found = await containersByName(engine, names)
  const references = new Map<string, string>()
  await Promise.all(
    [...found].map(async ([name, container]) => {
      const reference = isImageId(container.Image) ? (await engine.inspectContainer(container.Id))?.Config.Image : container.Image
      if (reference) references.set(name, reference)
    }),
  )
  return references
}
