import { normalizeRegistryHost, openRegistryAuth } from '../store/registry-auth.ts'
import { CliFailure, type CliContext } from './context.ts'
import { checkRegistryLogin, type LoginCheck, type LoginCredentials } from './registry-login.ts'

export type RegistryLoginCheck = (host: string, credentials: LoginCredentials) => Promise<LoginCheck>

/**
 * The registry host to store a login under (`ghcr.io`, `registry.example.com:5000`, `docker.io` for
 * every name of Docker Hub), or a message when the input is none.
 */
export function registryHost(input: string): { ok: true; host: string } | { ok: false; message: string } {
  const host = normalizeRegistryHost(input)
  let parsed: URL | undefined
  try {
    parsed = new URL(`https://${host}`)
  } catch {
    parsed = undefined
  }
  // The URL parser agrees character for character only for a plain host[:port].
  if (!host || parsed?.host !== host.replace(/:443$/, '')) return { ok: false, message: `"${input.trim()}" is not a registry host (e.g. ghcr.io, registry.example.com:5000)` }
  return { ok: true, host }
}

/**
 * Checks a login against the registry and saves it. A refused login is not saved; a registry that
 * cannot be reached only earns a warning (it may be reachable from the Engine but not from here).
 */
export async function saveRegistryLogin(ctx: CliContext, hostInput: string, credentials: LoginCredentials, check: RegistryLoginCheck = checkRegistryLogin): Promise<void> {
  const parsed = registryHost(hostInput)
  if (!parsed.ok) throw new CliFailure(parsed.message)
  const host = parsed.host
  // Basic auth cannot carry a colon in the user name (RFC 7617); the password may have any.
  if (!credentials.username || credentials.username.includes(':')) throw new CliFailure('the username must not be empty or contain ":"')
  if (!credentials.password) throw new CliFailure('the password is empty')
  const result = await check(host, credentials)
  if (!result.ok && result.outcome === 'rejected') {
    throw new CliFailure(`${host}: ${result.message}; nothing was saved`)
  }
  if (!result.ok) ctx.output.err(`warning: could not check the login for ${host} (${result.message}); saving it anyway\n`)
  if (result.ok && result.outcome === 'open') ctx.output.err(`note: ${host} does not ask for a login, so the credentials could not be checked\n`)
  const store = await openRegistryAuth(ctx.dataDir)
  await store.add(host, credentials)
  ctx.output.out(`Saved the login for ${host} (user ${credentials.username}${result.ok && result.outcome === 'accepted' ? ', checked with the registry' : ''}).\n`)
}

/** `registry add HOST --username U --password-stdin` */
export async function registryAdd(ctx: CliContext, host: string, username: string, check?: RegistryLoginCheck): Promise<void> {
  // Exactly one line ending is what `echo`/`printf '%s\n'` add; everything else belongs to the password.
  const password = (await ctx.readStdin()).replace(/\r?\n$/, '')
  if (!password) throw new CliFailure('no password on stdin (pipe it in: printf %s "$PASSWORD" | dockhook registry add …)')
  await saveRegistryLogin(ctx, host, { username, password }, check)
}

/** `registry list`: hosts and usernames, never passwords. */
export async function registryList(ctx: CliContext, json: boolean): Promise<void> {
  const entries = await (await openRegistryAuth(ctx.dataDir)).list()
  if (json) {
    ctx.output.out(`${JSON.stringify({ registries: entries })}\n`)
    return
  }
  if (entries.length === 0) {
    ctx.output.out('No registry logins saved.\n')
    return
  }
  ctx.output.out(`${entries.map((entry) => `${entry.host}  ${entry.username}`).join('\n')}\n`)
}

/** `registry remove HOST` */
export async function registryRemove(ctx: CliContext, hostInput: string): Promise<void> {
  const host = normalizeRegistryHost(hostInput)
  const removed = await (await openRegistryAuth(ctx.dataDir)).remove(host)
  if (!removed) throw new CliFailure(`no login saved for ${host}`)
  ctx.output.out(`Removed the login for ${host}.\n`)
}
