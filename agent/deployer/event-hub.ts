/**
 * A replaying broadcast: every subscriber gets all events published so far, then live ones, until
 * the hub is closed. Deployments are short, so keeping their events in memory is cheap.
 */
export class EventHub<T> {
  readonly #events: T[] = []
  readonly #listeners = new Set<(event: T) => void>()
  #closed = false
  readonly #closedSignal: Promise<void>
  #markClosed!: () => void

  constructor() {
    this.#closedSignal = new Promise((resolve) => (this.#markClosed = resolve))
  }

  publish(event: T): void {
    if (this.#closed) return
    this.#events.push(event)
    for (const listener of this.#listeners) listener(event)
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#listeners.clear()
    this.#markClosed()
  }

  /** Calls `listener` for past and future events; returns the unsubscribe function. */
  subscribe(listener: (event: T) => void): () => void {
    for (const event of this.#events) listener(event)
    if (this.#closed) return () => {}
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async *stream(): AsyncGenerator<T> {
    const queue: T[] = []
    let wake: (() => void) | undefined
    const unsubscribe = this.subscribe((event) => {
      queue.push(event)
      wake?.()
    })
    void this.#closedSignal.then(() => wake?.())
    try {
      for (;;) {
        while (queue.length) yield queue.shift() as T
        if (this.#closed) return
        await new Promise<void>((resolve) => (wake = resolve))
        wake = undefined
      }
    } finally {
      unsubscribe()
    }
  }
}
