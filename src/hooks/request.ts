/*
 * What the provider modules share: reading a delivery's body, finding the token in it, and turning
 * a zod failure into a `malformed` outcome that names fields but never echoes a value.
 */
import type { z } from 'zod'
import type { HookRequest, ParseOutcome } from './types.ts'

const FORM = 'application/x-www-form-urlencoded'
/** A deleted ref is announced as a push whose new commit is all zeros. */
export const ZERO_COMMIT = /^0+$/

export type Read<T> = { ok: true; value: T } | { ok: false; outcome: ParseOutcome & { kind: 'malformed' } }

export function malformed(message: string): { kind: 'malformed'; message: string } {
  return { kind: 'malformed', message }
}

export function ignored(reason: string): ParseOutcome {
  return { kind: 'ignored', reason }
}

/** A header's trimmed value; an empty header counts as absent (Gitea sends empty signatures). */
export function header(req: Pick<HookRequest, 'headers'>, name: string): string | undefined {
  return req.headers.get(name)?.trim() || undefined
}

/** The first of several headers that is present. */
export function firstHeader(req: Pick<HookRequest, 'headers'>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = header(req, name)
    if (value) return value
  }
  return undefined
}

/** The body as text; undefined when it is not UTF-8 (every provider sends UTF-8). */
export function bodyText(req: HookRequest): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(req.body)
  } catch {
    return undefined
  }
}

/** Whether the body is a form (`payload=<JSON>`), as GitHub and Gitea/Forgejo can be set to send. */
export function isForm(req: HookRequest): boolean {
  return req.headers.get('content-type')?.toLowerCase().split(';')[0]?.trim() === FORM
}

/**
 * The JSON text of a delivery: the body itself, or the `payload` field of a form-encoded one. For
 * Gitea/Forgejo this text is also what the signature covers.
 */
export function payloadText(req: HookRequest): Read<string> {
  const text = bodyText(req)
  if (text === undefined) return { ok: false, outcome: malformed('the body is not UTF-8 text') }
  if (!isForm(req)) return { ok: true, value: text }
  const payload = new URLSearchParams(text).get('payload')
  return payload === null ? { ok: false, outcome: malformed('the form has no payload field') } : { ok: true, value: payload }
}

export function parseJson(text: string): Read<unknown> {
  if (!text.trim()) return { ok: false, outcome: malformed('the body is empty; expected JSON') }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false, outcome: malformed('the body is not valid JSON') }
  }
}

/** The delivery's JSON, from a JSON body or a form's `payload` field. */
export function readJson(req: HookRequest): Read<unknown> {
  const text = payloadText(req)
  return text.ok ? parseJson(text.value) : text
}

/** Validates `value` with `schema`; the failure names the fields that are wrong, not their content. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, what: string): Read<T> {
  const parsed = schema.safeParse(value)
  if (parsed.success) return { ok: true, value: parsed.data }
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'body'))].join(', ')
  return { ok: false, outcome: malformed(`not a ${what}: unexpected ${fields}`) }
}

export interface TokenPlaces {
  /** The provider's own secret header, e.g. `X-Gitlab-Token`; read first. */
  native?: string
  /**
   * Take `Authorization` verbatim as well as `Bearer <token>`: Harbor and registry notifications send
   * whatever the user typed into their "auth header" setting.
   */
  bareAuthorization?: boolean
  /** Accept `?token=` — only for providers that can send nothing but a URL. */
  query?: boolean
}

/**
 * The deploy token of a delivery: the provider's native header, then `X-Deploy-Token`, then
 * `Authorization`, then (where allowed) the `token` query parameter.
 */
export function findToken(req: Pick<HookRequest, 'headers' | 'url'>, places: TokenPlaces): string | undefined {
  const native = places.native && header(req, places.native)
  if (native) return native
  const deployToken = header(req, 'x-deploy-token')
  if (deployToken) return deployToken
  const authorization = header(req, 'authorization')
  if (authorization) {
    const bearer = /^Bearer[ \t]+(\S+)$/i.exec(authorization)
    if (bearer) return bearer[1]
    if (places.bareAuthorization && !/\s/.test(authorization)) return authorization
  }
  return (places.query && req.url.searchParams.get('token')?.trim()) || undefined
}

/** A `sha256=<hex>` header (GitHub's form) reduced to its hex; undefined for any other scheme. */
export function sha256Hex(value: string | undefined): string | undefined {
  return value?.startsWith('sha256=') ? value.slice('sha256='.length) : undefined
}

/** The `host[:port]` of a URL a provider reports; undefined when it is not a URL. */
export function urlHost(url: string | null | undefined): string | undefined {
  if (!url) return undefined
  try {
    return new URL(url).host || undefined
  } catch {
    return undefined
  }
}
