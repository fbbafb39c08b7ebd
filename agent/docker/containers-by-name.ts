import { isImageId } from '../../src/image-reference.ts'
import type { EngineClient } from './engine.ts'
import type { ContainerSummary } from './types.ts'

/**
 * Finds containers by exact name with the list API, which answers quickly even while the Engine
 * is stopping or starting a container (an inspect of it then waits, often 100–300 ms). Lookups
 * that arrive while a list call runs share the next one: a burst of webhook deliveries costs the
 * Engine a few list calls instead of one per delivery, and no lookup is answered from a list that
 * started before it arrived. Build one per Engine and pass it in.
 */
export class ContainerDirectory {
  readonly #engine: EngineClient
  #current: Promise<void> | undefined
  #next: Promise<ContainerSummary[]> | undefined

  constructor(engine: EngineClient) {
    this.#engine = engine
  }

  /** The containers with exactly these names (missing names are simply absent). */
  async byName(names: readonly string[]): Promise<Map<string, ContainerSummary>> {
    if (!names.length) return new Map()
    const listed = await this.#list()
    const wanted = new Set(names)
    const found = new Map<string, ContainerSummary>()
    for (const container of listed) {
      for (const name of container.Names) {
        const bare = name.replace(/^\//, '')
        if (wanted.has(bare)) found.set(bare, container)
      }
    }
    return found
  }

  /**
   * Each named container's image reference as the user gave it (`Config.Image`). The list API's
   * `Image` is that reference until the tag moves to another image, when it degrades to the image
   * ID; only then is the container inspected.
   */
  async imageReferences(names: readonly string[]): Promise<Map<string, string>> {
    const references = new Map<string, string>()
    await Promise.all(
      [...(await this.byName(names))].map(async ([name, container]) => {
        const reference = isImageId(container.Image) ? (await this.#engine.inspectContainer(container.Id))?.Config.Image : container.Image
        if (reference) references.set(name, reference)
      }),
    )
    return references
  }

  #list(): Promise<ContainerSummary[]> {
    this.#next ??= (this.#current ?? Promise.resolve()).then(() => {
      const call = this.#engine.listContainers({ all: true })
      this.#next = undefined
      this.#current = call.then(
        () => {},
        () => {},
      )
      return call
    })
    return this.#next
  }
}
