import { z } from 'zod'
import { DockerHostError, parseDockerHost, type EngineEndpoint } from './docker/host.ts'

/** Defaults, named so the README and the code say the same thing. */
export const DEFAULT_PORT = 3000
export const DEFAULT_IP = '127.0.0.1'
export const DEFAULT_DATA_DIR = './data'
export const DEFAULT_SCRIPT_TIMEOUT_SECONDS = 300
export const DEFAULT_STABLE_SECONDS = 5
export const DEFAULT_HEALTH_TIMEOUT_SECONDS = 120
export const DEFAULT_DEPLOY_CONCURRENCY = 4
export const DEFAULT_AUTH_FAILURE_LIMIT = 10

const flag = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback
      if (['true', '1', 'yes', 'on'].includes(value)) return true
      if (['false', '0', 'no', 'off'].includes(value)) return false
      ctx.addIssue({ code: 'custom', message: `expected true or false, got "${value}"` })
      return z.NEVER
    })

const wholeNumber = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback
      const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN
      if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number from ${min} to ${max}, got "${value}"` })
        return z.NEVER
      }
      return parsed
    })

const EnvironmentSchema = z.object({
  PORT: wholeNumber(DEFAULT_PORT, 0, 65535),
  IP: z.union([z.ipv4(), z.ipv6()], { message: 'expected an IPv4 or IPv6 address' }).optional().default(DEFAULT_IP),
  URL: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL, e.g. https://deploy.example.com' }).optional(),
  BEHIND_PROXY: flag(false),
  DISABLE_INDEX_PAGE: flag(false),
  SCRIPT_TIMEOUT: wholeNumber(DEFAULT_SCRIPT_TIMEOUT_SECONDS, 1, 86_400),
  DATA_DIR: z.string().trim().min(1).optional().default(DEFAULT_DATA_DIR),
  DOCKER_HOST: z.string().optional(),
  DOCKER_TLS_VERIFY: z.string().optional(),
  DOCKER_CERT_PATH: z.string().optional(),
  DOCKER_CONFIG: z.string().optional(),
  DEPLOY_STABLE_SECONDS: wholeNumber(DEFAULT_STABLE_SECONDS, 0, 3600),
  DEPLOY_HEALTH_TIMEOUT: wholeNumber(DEFAULT_HEALTH_TIMEOUT_SECONDS, 1, 86_400),
  DEPLOY_CONCURRENCY: wholeNumber(DEFAULT_DEPLOY_CONCURRENCY, 1, 64),
  AUTH_FAILURE_LIMIT: wholeNumber(DEFAULT_AUTH_FAILURE_LIMIT, 0, 1_000_000),
  LOG_FORMAT: z.enum(['text', 'json'], { message: 'expected text or json' }).optional().default('text'),
  WORKERS: z.string().optional(),
  SENTRY_DSN: z.string().optional(),
})

export interface AgentConfig {
  port: number
  ip: string
  publicUrl: string
  /** Whether URL was set; when not and PORT is 0, the agent uses the address it got. */
  publicUrlSet: boolean
  behindProxy: boolean
  indexPage: boolean
  scriptTimeoutSeconds: number
  dataDir: string
  engine: EngineEndpoint
  /** DOCKER_CONFIG: where the Docker CLI's config.json is (registry logins); ~/.docker when unset. */
  dockerConfigDir: string | undefined
  stableSeconds: number
  healthTimeoutSeconds: number
  deployConcurrency: number
  authFailureLimit: number
  logFormat: 'text' | 'json'
  /** Start-up warnings (ignored legacy variables). */
  warnings: string[]
}

/** A bad environment variable: the message names it and says what was expected. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Reads the agent's configuration from the environment, once. Throws ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): AgentConfig {
  const parsed = EnvironmentSchema.safeParse(env)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
    throw new ConfigError(`invalid environment: ${lines.join('; ')}`)
  }
  const e = parsed.data
  let engine: EngineEndpoint
  try {
    engine = parseDockerHost({ dockerHost: e.DOCKER_HOST, tlsVerify: e.DOCKER_TLS_VERIFY, certPath: e.DOCKER_CERT_PATH })
  } catch (error) {
    if (error instanceof DockerHostError) throw new ConfigError(`invalid environment: ${error.message}`)
    throw error
  }
  const warnings: string[] = []
  // docker-deploy-api's variables: accepted so old compose files still start, but they do nothing here.
  if (e.WORKERS) warnings.push('WORKERS is ignored: one dockhook process serializes deploys per container; several processes would race')
  if (e.SENTRY_DSN) warnings.push('SENTRY_DSN is ignored: dockhook logs errors to stdout (LOG_FORMAT=json for collectors)')
  const host = e.IP.includes(':') ? `[${e.IP}]` : e.IP === '0.0.0.0' ? '127.0.0.1' : e.IP
  return {
    port: e.PORT,
    ip: e.IP,
    publicUrl: (e.URL ?? `http://${host}:${e.PORT}`).replace(/\/+$/, ''),
    publicUrlSet: e.URL !== undefined,
    behindProxy: e.BEHIND_PROXY,
    indexPage: !e.DISABLE_INDEX_PAGE,
    scriptTimeoutSeconds: e.SCRIPT_TIMEOUT,
    dataDir: e.DATA_DIR,
    engine,
    dockerConfigDir: e.DOCKER_CONFIG || undefined,
    stableSeconds: e.DEPLOY_STABLE_SECONDS,
    healthTimeoutSeconds: e.DEPLOY_HEALTH_TIMEOUT,
    deployConcurrency: e.DEPLOY_CONCURRENCY,
    authFailureLimit: e.AUTH_FAILURE_LIMIT,
    logFormat: e.LOG_FORMAT,
    warnings,
  }
}
