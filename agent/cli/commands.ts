import { parseArgs, type ParseArgsConfig } from 'node:util'
import { z } from 'zod'
import { DEFAULT_HOOK_REF, isGitProvider } from '../../src/snippets.ts'
import { DEPLOY_ACTIONS, HOOK_PROVIDERS, type DeployAction, type HookBinding } from '../../src/tokens/claims.ts'
import { parseDuration } from '../../src/tokens/duration.ts'
import { UsageError } from './context.ts'

export const USAGE = `Usage: dockhook [command]

Without a command, on a terminal: the interactive menu.

  token create --container NAME [--container NAME …] --action pull-recreate|recreate|restart
               [--no-cleanup] [--expires 30d|12h|1y|never] [--hook PROVIDER] [--ref REF] [--json]
      Mint a deploy token and print what to paste where. PROVIDER: github, gitlab, gitea,
      dockerhub, distribution, harbor, quay, generic. --ref (git providers) defaults to ${DEFAULT_HOOK_REF}.
  token inspect TOKEN [--json]      Show a token's claims and whether this instance accepts it.
  token revoke TOKEN|JTI            Revoke a token; the agent refuses it at once.

  key show [--json]                 The public keys (k4.public) that verify tokens.
  key rotate                        Make a new signing key; earlier tokens keep working until retired.
  key retire KID                    Stop accepting tokens signed by an earlier key.
  key import FILE                   Accept tokens of docker-deploy-api's key.pem.

  registry add HOST --username USER --password-stdin
                                    Save a registry login (checked against the registry first).
  registry list [--json]            Registries with saved logins (passwords are never shown).
  registry remove HOST              Forget a registry login.

  help                              This text.

Environment: DATA_DIR (default ./data), URL (public URL used in snippets), DOCKER_HOST.
`

/** Expiry of a token when none is asked for: a leaked token should not work forever by default. */
export const DEFAULT_EXPIRY = '30d'

export interface TokenCreateOptions {
  containerNames: string[]
  action: DeployAction
  cleanup: boolean
  /** Seconds, or 'never'. */
  expiresIn: number | 'never'
  hook?: HookBinding | undefined
  json: boolean
}

export type Command =
  | { name: 'menu' }
  | { name: 'help' }
  | { name: 'token create'; options: TokenCreateOptions }
  | { name: 'token inspect'; token: string; json: boolean }
  | { name: 'token revoke'; tokenOrJti: string }
  | { name: 'key show'; json: boolean }
  | { name: 'key rotate' }
  | { name: 'key retire'; kid: string }
  | { name: 'key import'; file: string }
  | { name: 'registry add'; host: string; username: string }
  | { name: 'registry list'; json: boolean }
  | { name: 'registry remove'; host: string }

// Docker's own rule for container names, with the leading `/` the API shows them with allowed.
export const ContainerNameSchema = z
  .string()
  .regex(/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'not a valid container name')
  .transform((name) => name.replace(/^\//, ''))

/** `main` → `refs/heads/main`; full refs (and patterns) are kept. */
export function normalizeRef(ref: string): string {
  const trimmed = ref.trim()
  return trimmed.startsWith('refs/') ? trimmed : `refs/heads/${trimmed}`
}

type Options = NonNullable<ParseArgsConfig['options']>

const json = { json: { type: 'boolean' } } as const satisfies Options

function parse<O extends Options>(args: string[], options: O, positionals: string[]) {
  let parsed
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, allowNegative: true, strict: true })
  } catch (error) {
    // parseArgs's messages name the flag and never echo a value, so they are safe to show.
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '') : String(error))
  }
  if (parsed.positionals.length !== positionals.length) {
    const expected = positionals.length ? positionals.join(' ') : 'no arguments'
    throw new UsageError(parsed.positionals.length > positionals.length ? `too many arguments (expected ${expected})` : `missing ${positionals.slice(parsed.positionals.length).join(' ')}`)
  }
  return parsed
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T {
  if (value === undefined) throw new UsageError(`${flag} is required (${allowed.join(', ')})`)
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}`)
  return value as T
}

/**
 * Reads the command line (without `node` and the script). Throws UsageError on anything unknown:
 * a flag, a command, a missing or extra argument.
 * @example parseCommand(['token', 'create', '--container', 'web', '--action', 'restart'])
 */
export function parseCommand(argv: readonly string[]): Command {
  const args = [...argv]
  if (args.length === 0) return { name: 'menu' }
  if (args.some((arg) => arg === '--help' || arg === '-h') || (args.length === 1 && args[0] === 'help')) return { name: 'help' }
  const [group, action, ...rest] = args
  switch (`${group} ${action ?? ''}`) {
    case 'token create':
      return { name: 'token create', options: tokenCreateOptions(rest) }
    case 'token inspect': {
      const parsed = parse(rest, json, ['TOKEN'])
      return { name: 'token inspect', token: parsed.positionals[0] ?? '', json: parsed.values.json ?? false }
    }
    case 'token revoke':
      return { name: 'token revoke', tokenOrJti: parse(rest, {}, ['TOKEN|JTI']).positionals[0] ?? '' }
    case 'key show':
      return { name: 'key show', json: parse(rest, json, []).values.json ?? false }
    case 'key rotate':
      parse(rest, {}, [])
      return { name: 'key rotate' }
    case 'key retire':
      return { name: 'key retire', kid: parse(rest, {}, ['KID']).positionals[0] ?? '' }
    case 'key import':
      return { name: 'key import', file: parse(rest, {}, ['FILE']).positionals[0] ?? '' }
    case 'registry add': {
      const parsed = parse(rest, { username: { type: 'string' }, 'password-stdin': { type: 'boolean' } }, ['HOST'])
      if (!parsed.values.username) throw new UsageError('--username is required')
      // A password on the command line lands in shell history and in `ps`; stdin does not.
      if (!parsed.values['password-stdin']) throw new UsageError('--password-stdin is required: pipe the password in, e.g. printf %s "$PASS" | dockhook registry add …')
      return { name: 'registry add', host: parsed.positionals[0] ?? '', username: parsed.values.username }
    }
    case 'registry list':
      return { name: 'registry list', json: parse(rest, json, []).values.json ?? false }
    case 'registry remove':
      return { name: 'registry remove', host: parse(rest, {}, ['HOST']).positionals[0] ?? '' }
    default:
      throw new UsageError(`unknown command: ${args.slice(0, 2).join(' ')}`)
  }
}

function tokenCreateOptions(args: string[]): TokenCreateOptions {
  const { values } = parse(
    args,
    {
      container: { type: 'string', multiple: true },
      action: { type: 'string' },
      cleanup: { type: 'boolean' },
      expires: { type: 'string' },
      hook: { type: 'string' },
      ref: { type: 'string' },
      ...json,
    },
    [],
  )
  if (!values.container?.length) throw new UsageError('--container is required (repeat it for several containers)')
  const containerNames: string[] = []
  for (const raw of values.container) {
    const name = ContainerNameSchema.safeParse(raw)
    if (!name.success) throw new UsageError(`--container ${JSON.stringify(raw)}: not a valid container name`)
    if (!containerNames.includes(name.data)) containerNames.push(name.data)
  }
  const action = oneOf(values.action, DEPLOY_ACTIONS, '--action')
  if (values.cleanup === true && action !== 'pull-recreate') throw new UsageError('--cleanup only applies to --action pull-recreate')
  const provider = values.hook === undefined ? undefined : oneOf(values.hook, HOOK_PROVIDERS, '--hook')
  if (values.ref !== undefined && (provider === undefined || !isGitProvider(provider))) {
    throw new UsageError('--ref only applies to --hook github, gitlab or gitea')
  }
  if (values.ref !== undefined && !values.ref.trim()) throw new UsageError('--ref must not be empty')
  const expiry = parseDuration(values.expires ?? DEFAULT_EXPIRY)
  if (!expiry.ok) throw new UsageError(`--expires: ${expiry.message}`)
  return {
    containerNames,
    action,
    // Removing the replaced image only means something after a pull; on by default there.
    cleanup: action === 'pull-recreate' && values.cleanup !== false,
    expiresIn: expiry.seconds,
    hook: provider === undefined ? undefined : isGitProvider(provider) ? { provider, ref: normalizeRef(values.ref ?? DEFAULT_HOOK_REF) } : { provider },
    json: values.json ?? false,
  }
}
