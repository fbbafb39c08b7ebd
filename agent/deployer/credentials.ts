import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { DOCKER_HUB } from '../../src/image-reference.ts'
import type { RegistryCredentials } from '../docker/registry-auth.ts'

export interface CredentialLookup {
  credentials?: RegistryCredentials
  /** Where they came from, for the deployment log (never the secret itself). */
  source?: string
  warning?: string
}

/** Finds credentials for a registry host (`docker.io`, `127.0.0.1:5000`, `ghcr.io`). */
export type CredentialResolver = (registry: string) => Promise<CredentialLookup>

const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io', 'https://registry-1.docker.io']
const HELPER_TIMEOUT_MS = 10_000

/** The keys a registry may be stored under in config files (the Docker CLI keys Hub by its v1 URL). */
export function registryKeys(registry: string): string[] {
  if (registry === DOCKER_HUB) return HUB_KEYS
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`]
}

const DockerConfigSchema = z.looseObject({
  auths: z.record(z.string(), z.looseObject({ auth: z.string().optional(), identitytoken: z.string().optional(), username: z.string().optional(), password: z.string().optional() })).optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
  credsStore: z.string().optional(),
})

const HelperAnswerSchema = z.object({ Username: z.string(), Secret: z.string() })

/** `user:pass` in base64, split at the first colon only: passwords may contain colons. */
export function decodeBasicAuth(encoded: string): { username: string; password: string } | undefined {
  const text = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = text.indexOf(':')
  return colon > 0 ? { username: text.slice(0, colon), password: text.slice(colon + 1) } : undefined
}

/**
 * The order of DESIGN.md: dockhook's own registry-auth.json, then the Docker CLI's config
 * (DOCKER_CONFIG or ~/.docker/config.json) `auths`, then its `credHelpers`/`credsStore` through
 * `docker-credential-<name> get`.
 */
export function credentialResolver(options: {
  stored: (registry: string) => { username: string; password: string } | undefined
  dockerConfigDir?: string | undefined
  runHelper?: (program: string, registry: string) => Promise<string>
}): CredentialResolver {
  const configPath = join(options.dockerConfigDir || join(homedir(), '.docker'), 'config.json')
  const runHelper = options.runHelper ?? runCredentialHelper
  return async (registry) => {
    for (const key of registryKeys(registry)) {
      const stored = options.stored(key)
      if (stored) return { credentials: { ...stored, serveraddress: registry }, source: 'registry-auth.json' }
    }
    let config: z.infer<typeof DockerConfigSchema>
    try {
      config = DockerConfigSchema.parse(JSON.parse(await readFile(configPath, 'utf8')))
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
      return missing ? {} : { warning: `${configPath} could not be read as a Docker config file; ignored` }
    }
    for (const key of registryKeys(registry)) {
      const entry = config.auths?.[key]
      if (!entry) continue
      if (entry.identitytoken) return { credentials: { identitytoken: entry.identitytoken, serveraddress: registry }, source: configPath }
      const basic = entry.auth ? decodeBasicAuth(entry.auth) : entry.username && entry.password ? { username: entry.username, password: entry.password } : undefined
      if (basic) return { credentials: { ...basic, serveraddress: registry }, source: configPath }
    }
    const helper = registryKeys(registry).map((key) => config.credHelpers?.[key]).find(Boolean) ?? config.credsStore
    if (!helper) return {}
    const program = `docker-credential-${helper}`
    let output: string
    try {
      output = await runHelper(program, registryKeys(registry)[0] ?? registry)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      return { warning: code === 'ENOENT' ? `${program} is configured in ${configPath} but not installed; pulling without credentials` : `${program} failed; pulling without credentials` }
    }
    const answer = HelperAnswerSchema.safeParse(safeJson(output))
    if (!answer.success) return { warning: `${program} gave no usable credentials for ${registry}` }
    // Helpers answer Username "<token>" when the secret is an identity token.
    const credentials: RegistryCredentials = answer.data.Username === '<token>' ? { identitytoken: answer.data.Secret, serveraddress: registry } : { username: answer.data.Username, password: answer.data.Secret, serveraddress: registry }
    return { credentials, source: program }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function runCredentialHelper(program: string, serverUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(program, ['get'], { timeout: HELPER_TIMEOUT_MS }, (error, stdout) => (error ? reject(error) : resolve(stdout)))
    child.stdin?.end(serverUrl)
  })
}
