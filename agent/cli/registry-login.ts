/*
 * Checks registry credentials before they are saved, the way `docker login` does: ask /v2/ what it
 * wants, then answer its challenge — Basic auth on /v2/ itself, or the Bearer token flow through
 * the realm it names (Docker Hub, Harbor, Quay, GitLab…).
 * https://distribution.github.io/distribution/spec/auth/token/
 */

export interface LoginCredentials {
  username: string
  password: string
}

/**
 * - `accepted`: the registry took the credentials;
 * - `open`: /v2/ answers without a login, so there is nothing to check them against;
 * - `rejected`: the registry refused them (do not save);
 * - `unverified`: the registry could not be reached or answered unexpectedly (save, with a warning).
 */
export type LoginCheck =
  | { ok: true; outcome: 'accepted' | 'open' }
  | { ok: false; outcome: 'rejected' | 'unverified'; message: string }

export interface LoginCheckOptions {
  fetch?: typeof fetch
  /** Milliseconds for each request. */
  timeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 10_000
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'])

/** A parsed `WWW-Authenticate` challenge, e.g. `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`. */
export interface Challenge {
  scheme: string
  params: Record<string, string>
}

/** Parses the first challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1); undefined when there is none. */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  const match = /^\s*([A-Za-z][\w!#$%&'*+.^`|~-]*)(?:\s+(.*))?$/s.exec(header ?? '')
  if (!match?.[1]) return undefined
  const params: Record<string, string> = {}
  const pattern = /\s*([\w!#$%&'*+.^`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy
  const rest = match[2] ?? ''
  let param: RegExpExecArray | null
  while (pattern.lastIndex < rest.length && (param = pattern.exec(rest)) !== null) {
    const [, key, quoted, token] = param
    if (key) params[key.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (token ?? '')
  }
  return { scheme: match[1].toLowerCase(), params }
}

function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name)
}

function basic(credentials: LoginCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`
}

/**
 * Tries `credentials` against the registry at `host` (`ghcr.io`, `127.0.0.1:5000`, `docker.io`).
 * HTTPS first; plain HTTP only for a loopback registry, as the Engine allows it there. Messages never
 * contain the password.
 */
export async function checkRegistryLogin(host: string, credentials: LoginCredentials, options: LoginCheckOptions = {}): Promise<LoginCheck> {
  const doFetch = options.fetch ?? fetch
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const get = (url: string, authorization?: string) =>
    doFetch(url, { headers: authorization ? { authorization } : {}, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' })

  const apiHost = DOCKER_HUB_HOSTS.has(host) ? 'registry-1.docker.io' : host
  const schemes = isLoopback(apiHost) ? ['https', 'http'] : ['https']
  let lastFailure = ''
  for (const scheme of schemes) {
    const base = `${scheme}://${apiHost}/v2/`
    let first: Response
    try {
      first = await get(base)
    } catch (error) {
      lastFailure = `${base}: ${describeFailure(error)}`
      continue
    }
    await first.body?.cancel()
    if (first.ok) return { ok: true, outcome: 'open' }
    if (first.status !== 401) return unverified(`${base} answered ${first.status}`)
    const challenge = parseChallenge(first.headers.get('www-authenticate'))
    if (challenge?.scheme === 'basic') {
      try {
        return await answer(await get(base, basic(credentials)), base)
      } catch (error) {
        return unverified(`${base}: ${describeFailure(error)}`)
      }
    }
    if (challenge?.scheme === 'bearer' && challenge.params.realm) return bearer(challenge.params, credentials, get)
    return unverified(`${base} asks for an authentication scheme dockhook does not know (${challenge?.scheme ?? 'none'})`)
  }
  return unverified(`cannot reach the registry (${lastFailure})`)
}

async function bearer(params: Record<string, string>, credentials: LoginCredentials, get: (url: string, authorization?: string) => Promise<Response>): Promise<LoginCheck> {
  let realm: URL
  try {
    realm = new URL(params.realm ?? '')
  } catch {
    return unverified('the registry names a token service that is not a URL')
  }
  // The password goes to the realm: only over TLS, unless it stays on this machine.
  if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && isLoopback(realm.host))) {
    return unverified(`the registry's token service ${realm.origin} is not HTTPS; the password was not sent to it`)
  }
  if (params.service) realm.searchParams.set('service', params.service)
  realm.searchParams.set('account', credentials.username)
  try {
    return await answer(await get(realm.href, basic(credentials)), realm.origin + realm.pathname)
  } catch (error) {
    return unverified(`cannot reach the registry's token service ${realm.origin}: ${describeFailure(error)}`)
  }
}

async function answer(response: Response, where: string): Promise<LoginCheck> {
  await response.body?.cancel()
  if (response.ok) return { ok: true, outcome: 'accepted' }
  if (response.status === 401 || response.status === 403) {
    return { ok: false, outcome: 'rejected', message: 'the registry rejected this username and password' }
  }
  return unverified(`${where} answered ${response.status}`)
}

function unverified(message: string): LoginCheck {
  return { ok: false, outcome: 'unverified', message }
}

function describeFailure(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out'
  const cause = error instanceof Error ? error.cause : undefined
  const code = cause && typeof cause === 'object' && 'code' in cause ? String(cause.code) : ''
  const message = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error)
  return code && !message.includes(code) ? `${code} ${message}` : message
}
