/*
 * Failed-authentication limiter: after `limit` failures from one client within a minute, that client
 * gets 429 until the minute is over. Kept in memory per app instance (one agent process; one edge
 * isolate), which is what a brute-force guard needs; nothing here survives a restart.
 */

/** AUTH_FAILURE_LIMIT's default: a CI job with a typo gets a few tries, a guesser gets nowhere. */
export const DEFAULT_AUTH_FAILURE_LIMIT = 10
export const FAILURE_WINDOW_MS = 60_000
/** Bound on remembered clients, so a spray of addresses cannot grow the map without end. */
export const MAX_TRACKED_CLIENTS = 10_000

export interface FailureLimiter {
  /** Seconds until `client` may try again, or undefined when it is not limited. */
  retryAfter(client: string): number | undefined
  /** Counts one failed attempt; true when this one used up the client's allowance. */
  recordFailure(client: string): boolean
}

interface Window {
  start: number
  failures: number
}

/**
 * @param limit failures allowed per client per minute; 0 disables the limiter
 * @param now injected clock, so tests move time instead of sleeping
 */
export function createFailureLimiter(limit: number, now: () => number = Date.now): FailureLimiter {
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError('the failure limit must be a whole number ≥ 0')
  if (limit === 0) return { retryAfter: () => undefined, recordFailure: () => false }

  // Map keeps insertion order; a window is (re)inserted when it starts, so the oldest come first.
  const windows = new Map<string, Window>()

  const current = (client: string, at: number): Window | undefined => {
    const window = windows.get(client)
    if (window && at - window.start >= FAILURE_WINDOW_MS) {
      windows.delete(client)
      return undefined
    }
    return window
  }

  return {
    retryAfter(client) {
      const at = now()
      const window = current(client, at)
      if (!window || window.failures < limit) return undefined
      return Math.max(1, Math.ceil((window.start + FAILURE_WINDOW_MS - at) / 1000))
    },
    recordFailure(client) {
      const at = now()
      const window = current(client, at)
      if (window) {
        window.failures++
        return window.failures === limit
      }
      if (windows.size >= MAX_TRACKED_CLIENTS) evict(at)
      windows.set(client, { start: at, failures: 1 })
      return limit === 1
    },
  }

  function evict(at: number): void {
    // Windows are inserted when they start, so expired ones sit at the front: stop at the first live one.
    for (const [client, window] of windows) {
      if (at - window.start < FAILURE_WINDOW_MS) break
      windows.delete(client)
    }
    // Still full of live windows: forget the oldest rather than refuse to track a new client.
    const oldest = windows.keys().next()
    if (windows.size >= MAX_TRACKED_CLIENTS && !oldest.done) windows.delete(oldest.value)
  }
}
