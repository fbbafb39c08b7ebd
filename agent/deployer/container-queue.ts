interface Waiting<S, R> {
  key: string
  shared: S
  result: Promise<R>
}

/**
 * One piece of work at a time per container. A request that arrives while its container is busy
 * waits; requests that arrive while one is already waiting (with the same key: same action and
 * cleanup) join it instead of queueing again, so a burst of N deploys costs one follow-up run and
 * every requester gets that run's outcome. `shared` (made when a run is queued) is handed to every
 * requester of that run, e.g. the hub its events go to.
 */
export class ContainerQueue<S, R> {
  readonly #slots = new Map<string, { tail: Promise<unknown>; waiting?: Waiting<S, R> }>()

  run(container: string, key: string, prepare: () => S, work: (shared: S) => Promise<R>): { shared: S; result: Promise<R>; joined: boolean } {
    const slot = this.#slots.get(container)
    if (slot?.waiting && slot.waiting.key === key) return { shared: slot.waiting.shared, result: slot.waiting.result, joined: true }
    const previous = slot?.tail ?? Promise.resolve()
    const shared = prepare()
    const waiting: Waiting<S, R> = { key, shared, result: Promise.resolve() as Promise<never> }
    const begin = () => {
      const current = this.#slots.get(container)
      if (current?.waiting === waiting) delete current.waiting
      return work(shared)
    }
    waiting.result = previous.then(begin, begin)
    const next = { tail: waiting.result.catch(() => {}), waiting }
    this.#slots.set(container, next)
    void next.tail.then(() => {
      if (this.#slots.get(container) === next) this.#slots.delete(container)
    })
    return { shared, result: waiting.result, joined: false }
  }

  /** Whether anything runs or waits for this container. */
  busy(container: string): boolean {
    return this.#slots.has(container)
  }
}
