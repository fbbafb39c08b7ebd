/** Token lifetimes people type: a whole number and a unit, or `never`. */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 7 * 86_400, y: 365 * 86_400 } as const
const DURATION = /^(\d{1,6})\s*([smhdwy])$/
/** Beyond this an expiry is "never" in disguise; say so instead (and stay inside RFC 3339 years). */
export const MAX_LIFETIME_SECONDS = 100 * UNIT_SECONDS.y

export type DurationResult = { ok: true; seconds: number | 'never' } | { ok: false; message: string }

/**
 * Parses a token lifetime.
 *
 * @example
 * parseDuration('30d')   // { ok: true, seconds: 2592000 }
 * parseDuration('never') // { ok: true, seconds: 'never' }
 * parseDuration('soon')  // { ok: false, message: '…' }
 */
export function parseDuration(text: string): DurationResult {
  const input = text.trim().toLowerCase()
  if (input === 'never') return { ok: true, seconds: 'never' }
  const match = DURATION.exec(input)
  if (!match) return { ok: false, message: `"${text}" is not a duration: use a whole number and s, m, h, d, w or y (e.g. 90m, 12h, 30d, 1y), or never` }
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS]
  if (seconds === 0) return { ok: false, message: 'a token lifetime must be longer than zero' }
  if (seconds > MAX_LIFETIME_SECONDS) return { ok: false, message: 'a token lifetime is at most 100y; use never for a token that does not expire' }
  return { ok: true, seconds }
}
