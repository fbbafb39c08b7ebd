import { describe, expect, it } from 'vitest'
import { parseDuration } from '../../../src/tokens/duration.ts'

describe('parseDuration', () => {
  it.each([
    ['90m', 5400],
    ['12h', 43_200],
    ['30d', 2_592_000],
    ['2w', 1_209_600],
    ['1y', 31_536_000],
    ['45s', 45],
    [' 7D ', 604_800],
    ['100y', 3_153_600_000],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toEqual({ ok: true, seconds })
  })

  it('reads never as a token without expiry', () => {
    expect(parseDuration('never')).toEqual({ ok: true, seconds: 'never' })
    expect(parseDuration('Never')).toEqual({ ok: true, seconds: 'never' })
  })

  it.each(['', '30', 'd', '1.5h', '-1d', '10 years', 'soon', '3x'])('refuses %j with a message', (text) => {
    const result = parseDuration(text)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.message).toMatch(/duration/)
  })

  it('refuses zero and lifetimes beyond 100 years (say never instead)', () => {
    expect(parseDuration('0d')).toEqual({ ok: false, message: expect.stringContaining('longer than zero') })
    expect(parseDuration('101y')).toEqual({ ok: false, message: expect.stringContaining('never') })
  })
})
