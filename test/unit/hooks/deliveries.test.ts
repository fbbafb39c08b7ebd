import { describe, expect, it } from 'vitest'
import { createDeliveryLog, deliveryKey, DELIVERY_TTL_MS } from '../../../src/hooks/deliveries.ts'

function clock(start = 1_000_000) {
  let now = start
  return { now: () => now, advance: (ms: number) => void (now += ms) }
}

describe('the delivery log', () => {
  it('claims an id once', () => {
    const log = createDeliveryLog()
    expect(log.claim(['a'])).toBeDefined()
    expect(log.claim(['a'])).toBeUndefined()
    expect(log.claim(['b'])).toBeDefined()
  })

  it('always lets a delivery without ids through', () => {
    const log = createDeliveryLog()
    expect(log.claim([])).toBeDefined()
    expect(log.claim([])).toBeDefined()
  })

  it('lets an envelope through while any of its ids is new', () => {
    const log = createDeliveryLog()
    log.claim(['e1', 'e2'])
    expect(log.claim(['e2', 'e3'])).toBeDefined()
    expect(log.claim(['e1', 'e3'])).toBeUndefined()
  })

  it('forgets on release only what that claim recorded', () => {
    const log = createDeliveryLog()
    log.claim(['old'])
    const claim = log.claim(['old', 'new'])
    claim?.release()
    expect(log.claim(['new'])).toBeDefined()
    expect(log.claim(['old'])).toBeUndefined()
  })

  it('forgets ids after the TTL', () => {
    const time = clock()
    const log = createDeliveryLog({ now: time.now })
    log.claim(['a'])
    time.advance(DELIVERY_TTL_MS - 1)
    expect(log.claim(['a'])).toBeUndefined()
    time.advance(1)
    expect(log.claim(['a'])).toBeDefined()
  })

  it('keeps at most `capacity` ids, forgetting the oldest first', () => {
    const time = clock()
    const log = createDeliveryLog({ capacity: 2, now: time.now })
    for (const id of ['a', 'b', 'c']) {
      log.claim([id])
      time.advance(1)
    }
    expect(log.claim(['b'])).toBeUndefined()
    expect(log.claim(['c'])).toBeUndefined()
    expect(log.claim(['a'])).toBeDefined()
  })

  it('scopes keys by provider and token', () => {
    expect(deliveryKey('github', 'jti-1', 'x')).not.toBe(deliveryKey('github', 'jti-2', 'x'))
    expect(deliveryKey('github', 'jti-1', 'x')).not.toBe(deliveryKey('gitea', 'jti-1', 'x'))
  })

  it('refuses a capacity below 1', () => {
    expect(() => createDeliveryLog({ capacity: 0 })).toThrow(RangeError)
  })
})
