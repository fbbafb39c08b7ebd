/*
 * Delivery ids already acted on, so a redelivery (GitHub's "Redeliver", a registry retrying an
 * envelope it thinks was lost) does not deploy twice. Bounded in memory; the agent may persist it.
 */

/** How long an id is remembered: longer than GitHub's redelivery window (3 days now, 30 days once). */
export const DELIVERY_TTL_MS = 30 * 24 * 60 * 60 * 1000
/** Bound on remembered ids: the oldest are forgotten first, so a flood cannot grow memory without end. */
export const MAX_DELIVERIES = 10_000

export interface DeliveryLog {
  /**
   * Records `keys` and returns the claim, or undefined when every key was recorded before (a
   * redelivery). A delivery without ids is always new. Check and record are one step, so two copies
   * arriving at once do not both deploy.
   */
  claim(keys: readonly string[]): DeliveryClaim | undefined
}

export interface DeliveryClaim {
  /** Forgets the keys this claim recorded, for a delivery that could not be acted on (so a retry may). */
  release(): void
}

export interface DeliveryLogOptions {
  ttlMs?: number
  capacity?: number
  /** Injected clock, so tests move time instead of sleeping. */
  now?: () => number
}

/**
 * The key of a delivery id: scoped to provider and token, because one registry event notifies every
 * endpoint with the same id, and each endpoint's token must still deploy once.
 */
export function deliveryKey(provider: string, jti: string, id: string): string {
  return `${provider}\u0000${jti}\u0000${id}`
}

export function createDeliveryLog({ ttlMs = DELIVERY_TTL_MS, capacity = MAX_DELIVERIES, now = Date.now }: DeliveryLogOptions = {}): DeliveryLog {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('the delivery log needs a capacity of at least 1')
  // Map keeps insertion order and a key is recorded once, so the oldest come first.
  const seenAt = new Map<string, number>()

  const expire = (at: number): void => {
    for (const [key, time] of seenAt) {
      if (at - time < ttlMs) break
      seenAt.delete(key)
    }
  }

  return {
    claim(keys) {
      const at = now()
      expire(at)
      const added = keys.filter((key) => !seenAt.has(key))
      if (keys.length > 0 && added.length === 0) return undefined
      for (const key of added) seenAt.set(key, at)
      while (seenAt.size > capacity) seenAt.delete(seenAt.keys().next().value!)
      return { release: () => added.forEach((key) => seenAt.delete(key)) }
    },
  }
}
