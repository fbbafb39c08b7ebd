import { describe, expect, it } from 'vitest'
import { createFailureLimiter, FAILURE_WINDOW_MS, MAX_TRACKED_CLIENTS } from '../../../src/middleware/rate-limit.ts'

function clock(start = 1_000_000) {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

describe('createFailureLimiter', () => {
  it('limits a client after `limit` failures for the rest of its minute, then forgets them', () => {
    const time = clock()
    const limiter = createFailureLimiter(3, time.now)
    expect([limiter.recordFailure('a'), limiter.recordFailure('a')]).toEqual([false, false])
    expect(limiter.retryAfter('a')).toBeUndefined()
    expect(limiter.recordFailure('a')).toBe(true)
    expect(limiter.retryAfter('a')).toBe(60)
    time.advance(45_500)
    expect(limiter.retryAfter('a')).toBe(15)
    expect(limiter.retryAfter('b')).toBeUndefined()
    time.advance(FAILURE_WINDOW_MS - 45_500)
    expect(limiter.retryAfter('a')).toBeUndefined()
    expect(limiter.recordFailure('a')).toBe(false)
  })

  it('0 disables it', () => {
    const limiter = createFailureLimiter(0)
    for (let i = 0; i < 100; i++) limiter.recordFailure('a')
    expect(limiter.retryAfter('a')).toBeUndefined()
  })

  it('rejects a nonsensical limit', () => {
    expect(() => createFailureLimiter(-1)).toThrow(RangeError)
    expect(() => createFailureLimiter(1.5)).toThrow(RangeError)
  })

  it('stays bounded under a spray of addresses, forgetting the oldest first', () => {
    const time = clock()
    const limiter = createFailureLimiter(1, time.now)
    limiter.recordFailure('first')
    for (let i = 0; i < MAX_TRACKED_CLIENTS; i++) limiter.recordFailure(`10.0.${i >> 8}.${i & 255}`)
    expect(limiter.retryAfter('first')).toBeUndefined()
    expect(limiter.retryAfter(`10.0.${(MAX_TRACKED_CLIENTS - 1) >> 8}.${(MAX_TRACKED_CLIENTS - 1) & 255}`)).toBe(60)
  })
})
