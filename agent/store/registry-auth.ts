/*
 * DATA_DIR/registry-auth.json, in docker-deploy-api's format:
 *
 *   { "<host>": { "auth": base64("user:pass") } }      (also read: { "username": …, "password": … })
 *
 * Hosts are keyed as `host[:port]`; Docker Hub under "docker.io", which is what docker-deploy-api
 * wrote and what src/image-reference.ts calls the Hub registry, so a parsed image reference's
 * `registry` looks its login up directly. The Docker CLI's "https://index.docker.io/v1/" and the
 * Hub's other names are read as "docker.io" too.
 */
import { join } from 'node:path'
import { z } from 'zod'
import { DOCKER_HUB } from '../../src/image-reference.ts'
import { fileVersion, writeFileAtomic } from './atomic.ts'
import { readJsonFile } from './json-file.ts'
import { refreshOnChange } from './refresh.ts'

export const REGISTRY_AUTH_FILE = 'registry-auth.json'

export interface RegistryLogin {
  username: string
  password: string
}

export interface RegistryAuth {
  /** Saves (or replaces) the login for `host`. */
  add(host: string, login: RegistryLogin): Promise<void>
  /** Forgets the login for `host`; false when there was none. */
  remove(host: string): Promise<boolean>
  /** Hosts with a login and their usernames, sorted; never passwords. */
  list(): { host: string; username: string }[]
  /** The login for a registry host (any spelling `normalizeRegistryHost` accepts). */
  credentialsFor(host: string): RegistryLogin | undefined
  /** Re-reads the file if it changed on disk (a `registry add` from the CLI); true if it did. */
  refresh(): Promise<boolean>
}

/** The file or a login cannot be used; the message names the host, never a password. */
export class RegistryAuthError extends Error {
  override name = 'RegistryAuthError'
}

const HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com', 'hub.docker.com'])

/**
 * The key a registry's login is stored under: scheme and path dropped, lower case, port kept, and
 * every name of Docker Hub mapped to "docker.io".
 *
 * @example
 * normalizeRegistryHost('https://index.docker.io/v1/') // 'docker.io'
 * normalizeRegistryHost('Registry.example.com:5000/v2/') // 'registry.example.com:5000'
 */
export function normalizeRegistryHost(input: string): string {
  const host = input.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0]!.toLowerCase()
  return HUB_ALIASES.has(host) ? DOCKER_HUB : host
}

const HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/

const EntrySchema = z.union([z.object({ auth: z.string() }), z.object({ username: z.string(), password: z.string() })])
const FileSchema = z.record(z.string(), z.unknown())

interface State {
  version: string
  /** The file as written, so entries and fields this program does not use survive a rewrite. */
  raw: Record<string, unknown>
  logins: Map<string, RegistryLogin>
}

/**
 * @example
 * const auth = await openRegistryAuth(config.dataDir)
 * const login = auth.credentialsFor(parseImageReference(image).registry)
 */
export async function openRegistryAuth(dataDir: string): Promise<RegistryAuth> {
  const path = join(dataDir, REGISTRY_AUTH_FILE)
  let state = await load()
  const refresh = refreshOnChange(path, { get: () => state, set: (next) => (state = next) }, load)

  async function load(): Promise<State> {
    const version = await fileVersion(path)
    const raw = (await readJsonFile(path, FileSchema, { mismatch: `${path} must hold a JSON object keyed by registry host`, error: (message) => new RegistryAuthError(message) })) ?? {}
    const logins = new Map<string, RegistryLogin>()
    for (const [key, value] of Object.entries(raw)) {
      const host = normalizeRegistryHost(key)
      if (!logins.has(host)) logins.set(host, decodeEntry(key, value))
    }
    return { version, raw, logins }
  }

  /** Rewrites the file from what is on disk now (another process may have changed it), minus `host`'s entries. */
  async function rewrite(host: string, entry?: { auth: string }): Promise<boolean> {
    state = await load()
    const kept = Object.entries(state.raw).filter(([key]) => normalizeRegistryHost(key) !== host)
    const removed = kept.length !== Object.keys(state.raw).length
    const next = Object.fromEntries(entry ? [...kept, [host, entry]] : kept)
    if (entry || removed) {
      await writeFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`)
      state = await load()
    }
    return removed
  }

  return {
    refresh,
    credentialsFor: (host) => state.logins.get(normalizeRegistryHost(host)),
    list: () =>
      [...state.logins]
        .map(([host, login]) => ({ host, username: login.username }))
        .sort((a, b) => a.host.localeCompare(b.host)),
    async add(hostInput, { username, password }) {
      const host = normalizeRegistryHost(hostInput)
      if (!HOST.test(host)) throw new RegistryAuthError(`"${host}" is not a registry host (host or host:port)`)
      // RFC 7617: the user-id of basic auth cannot contain a colon; the password may.
      if (!username || username.includes(':')) throw new RegistryAuthError('the username must be non-empty and cannot contain ":"')
      if (!password) throw new RegistryAuthError('the password is empty')
      await rewrite(host, { auth: Buffer.from(`${username}:${password}`, 'utf8').toString('base64') })
    },
    async remove(hostInput) {
      return await rewrite(normalizeRegistryHost(hostInput))
    },
  }
}

function decodeEntry(key: string, value: unknown): RegistryLogin {
  const entry = EntrySchema.safeParse(value)
  if (!entry.success) throw new RegistryAuthError(`registry-auth.json: the entry for ${key} has neither "auth" nor "username" and "password"`)
  if ('username' in entry.data) return { username: entry.data.username, password: entry.data.password }
  const decoded = Buffer.from(entry.data.auth, 'base64').toString('utf8')
  // Split at the first colon only: passwords may contain colons (docker-deploy-api cut them off).
  const colon = decoded.indexOf(':')
  if (colon <= 0) throw new RegistryAuthError(`registry-auth.json: the "auth" of ${key} is not base64("user:password")`)
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}
