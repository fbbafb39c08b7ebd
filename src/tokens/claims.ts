/*
 * The claims of a deploy token (DESIGN.md, "Deploy tokens"), validated with zod after the signature
 * check. Unknown extra claims are dropped, not rejected, so newer minters stay compatible.
 */
import { z } from 'zod'

/** What a deploy does with each named container. */
export type DeployAction = 'pull-recreate' | 'recreate' | 'restart'

/** The webhook endpoints a token can be bound to (`POST /v1/hooks/:provider`). */
export type HookProvider = 'github' | 'gitlab' | 'gitea' | 'dockerhub' | 'distribution' | 'harbor' | 'quay' | 'generic'

/** Binds a token to one webhook provider, plus filters on what it may deploy for. */
export interface HookBinding {
  provider: HookProvider
  /** Git ref the event must be for, e.g. `refs/heads/main` (git providers). */
  ref?: string | undefined
  /** Tag pattern a pushed image must match (registry providers). */
  tag?: string | undefined
  /** Provider event name the hook must carry, e.g. `workflow_run`. */
  event?: string | undefined
}

/** The verified content of a deploy token. */
export interface DeployClaims {
  /** Exact container names, without a leading `/`. */
  containerNames: string[]
  action: DeployAction
  /** Remove the replaced image after a successful pull-recreate (only if unused). */
  cleanup: boolean
  /**
   * Random id (≥128 bits) for revocation, audit and the webhook secret. docker-deploy-api tokens
   * have none; theirs is the sha512 hex digest of the whole token, its own revocation format.
   */
  jti: string
  /** Issued at, RFC 3339. */
  iat: string
  /** Expiry, RFC 3339; absent only for tokens minted with "never expires". */
  exp?: string | undefined
  hook?: HookBinding | undefined
}

export const DEPLOY_ACTIONS = ['pull-recreate', 'recreate', 'restart'] as const satisfies readonly DeployAction[]
export const HOOK_PROVIDERS = ['github', 'gitlab', 'gitea', 'dockerhub', 'distribution', 'harbor', 'quay', 'generic'] as const satisfies readonly HookProvider[]

/** Bounds that keep a token (and a header) small; a deploy of more containers needs several tokens. */
export const MAX_CONTAINERS_PER_TOKEN = 100
const MAX_FILTER_LENGTH = 256

// The Engine's own rule for container names (daemon/names: [a-zA-Z0-9][a-zA-Z0-9_.-]).
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/

/** docker-deploy-api stored the action as its enum's number: 0, 1, 2 in this order. */
const LEGACY_ACTIONS = { 0: 'pull-recreate', 1: 'recreate', 2: 'restart' } as const satisfies Record<number, DeployAction>

const ActionSchema = z.union([
  z.enum(DEPLOY_ACTIONS),
  z.union([z.literal(0), z.literal(1), z.literal(2)]).transform((code) => LEGACY_ACTIONS[code]),
], { message: 'expected "pull-recreate", "recreate", "restart" (or 0, 1, 2)' })

const filter = z.string().min(1).max(MAX_FILTER_LENGTH).optional()

export const HookBindingSchema = z.object({
  provider: z.enum(HOOK_PROVIDERS),
  ref: filter,
  tag: filter,
  event: filter,
})

export const ContainerNamesSchema = z
  .array(z.string().regex(CONTAINER_NAME, { message: 'not a container name (letters, digits, _ . -; no leading /)' }))
  .min(1, { message: 'names no container' })
  .max(MAX_CONTAINERS_PER_TOKEN)

/** Token claims as they arrive: the verified payload, before it is trusted to mean anything. */
export const DeployClaimsSchema = z.object({
  containerNames: ContainerNamesSchema,
  action: ActionSchema,
  cleanup: z.boolean(),
  jti: z.string().min(1).max(256),
  // paseto has already checked that iat/exp are RFC 3339 date-times when present.
  iat: z.string().min(1),
  exp: z.string().min(1).optional(),
  hook: HookBindingSchema.optional(),
}) satisfies z.ZodType<DeployClaims, unknown>

/** Turns zod's issues into one line that names the claims, never their values. */
export function describeClaimIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'claims'}: ${issue.message}`).join('; ')
}
