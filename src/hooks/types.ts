/*
 * The shapes every webhook provider module speaks (webhook-formats.md; DESIGN.md, "Webhooks"): a
 * provider finds the deploy token in its request, verifies the raw request, and parses it into a
 * trigger that src/hooks/matching.ts turns into the containers to deploy.
 */
import type { ImageReference } from '../image-reference.ts'
import type { HookProvider } from '../tokens/claims.ts'

/** One delivery as it arrived, before anything is trusted. */
export interface HookRequest {
  headers: Headers
  /** The request URL; its `token` query parameter must never be logged. */
  url: URL
  /** The exact bytes received: signatures are computed over them, not over re-serialized JSON. */
  body: Uint8Array
  /** When the delivery arrived, for signature timestamps (an input, so tests move the clock). */
  receivedAt: Date
}

export type SignatureFailure = 'missing_signature' | 'bad_signature' | 'stale_signature'

export type VerifyOutcome =
  | { ok: true; signed: boolean }
  | { ok: false; reason: SignatureFailure; message: string }

/** An image that was pushed: normalized repository plus the tag it was pushed under. */
export interface ImagePush {
  image: ImageReference & { tag: string }
  digest?: string | undefined
}

/**
 * What a delivery asks for:
 * - `image`: deploy the token's containers that run one of these pushed images;
 * - `git`: deploy the token's containers if the token's hook filters accept this ref;
 * - `any`: a generic call naming nothing, deploy what the token names.
 */
export type Trigger =
  | { type: 'image'; pushes: ImagePush[] }
  | { type: 'git'; ref: string }
  | { type: 'any' }

/** What the deployment record shows about the delivery that started it. */
export interface HookSummary {
  repository?: string | undefined
  tag?: string | undefined
  ref?: string | undefined
}

/** A delivery that may lead to a deploy. */
export interface HookEvent {
  kind: 'event'
  /** The provider's event name (`push`, `workflow_run`, `pipeline`, `PUSH_ARTIFACT`…), matched by `hook.event`. */
  event: string
  /** Ids that identify this delivery across redeliveries; several for a batched registry envelope. */
  deliveryIds: string[]
  trigger: Trigger
  summary: HookSummary
}

export type ParseOutcome =
  | HookEvent
  /** The provider checking that the hook works: answered 2xx, never deployed. */
  | { kind: 'ping'; reason: string }
  /** Well formed, but nothing to deploy for (another event, a deleted ref, a digest-only push…). */
  | { kind: 'ignored'; reason: string }
  /** Not what the provider sends: answered 400. The message names fields, never their values. */
  | { kind: 'malformed'; message: string }

/**
 * One webhook provider. Adding a provider is one module like this and one line in the table in
 * src/hooks/index.ts.
 */
export interface HookProviderModule {
  name: HookProvider
  /**
   * Whether every delivery must carry a valid signature made with the token's webhook secret
   * (GitHub, Gitea/Forgejo). Other providers verify a signature only when one is present.
   */
  signs: boolean
  /**
   * The deploy token, from wherever this provider can carry it. Needs no body, so an authentication
   * middleware can call it before the body is read.
   */
  tokenFrom(req: Pick<HookRequest, 'headers' | 'url'>): string | undefined
  /** Checks the delivery's signature, if any, against the token's webhook secret (`hookSecretFor`). */
  verify(req: HookRequest, secret: string): Promise<VerifyOutcome>
  /** Reads the delivery. Call only after `verify` succeeded. */
  parse(req: HookRequest): ParseOutcome
}
