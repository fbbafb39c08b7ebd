/*
 * GitLab (webhook-formats.md §2). The token is the hook's "Secret token", which GitLab sends verbatim
 * in `X-Gitlab-Token`. GitLab's newer signing token (Standard Webhooks, behind a feature flag) is
 * checked when its headers are present; dockhook's signing token for a deploy token is
 * `gitlabSigningToken(secret)`.
 */
import { z } from 'zod'
import { fromBase64Url, toBase64 } from '../tokens/encoding.ts'
import { branchRef, deliveryIds, gitEvent, tagRef } from './events.ts'
import { findToken, header, ignored, readJson, validate, ZERO_COMMIT } from './request.ts'
import { verifyBase64Signature } from './signatures.ts'
import type { HookProviderModule, HookRequest, ParseOutcome, VerifyOutcome } from './types.ts'

/** Standard Webhooks' default tolerance for `webhook-timestamp`, each way: it bounds replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300
const SIGNING_TOKEN_PREFIX = 'whsec_'

const Project = z.object({ path_with_namespace: z.string() }).nullish()

const KindSchema = z.object({ object_kind: z.string().min(1) })

const PushSchema = z.object({ ref: z.string().min(1), after: z.string().nullish(), project: Project })

const PipelineSchema = z.object({
  object_attributes: z.object({ status: z.string(), ref: z.string().min(1), tag: z.boolean().nullish() }),
  project: Project,
})

const ReleaseSchema = z.object({ action: z.string(), tag: z.string().min(1), project: Project })

/**
 * The value to enter as the GitLab hook's signing token for a deploy token whose webhook secret is
 * `secret`: GitLab takes `whsec_<base64 of 32 bytes>`, and those bytes are the secret's.
 *
 * @example
 * gitlabSigningToken(await hookSecretFor(hookKey, claims.jti)) // 'whsec_…='
 */
export function gitlabSigningToken(secret: string): string {
  return SIGNING_TOKEN_PREFIX + toBase64(signingKey(secret))
}

function signingKey(secret: string): Uint8Array {
  // The derived secret is always base64url of 32 bytes; anything else is used as text.
  return fromBase64Url(secret) ?? new TextEncoder().encode(secret)
}

async function verify(req: HookRequest, secret: string): Promise<VerifyOutcome> {
  const signatures = header(req, 'webhook-signature')
  if (!signatures) return { ok: true, signed: false }
  const id = header(req, 'webhook-id')
  const timestamp = header(req, 'webhook-timestamp')
  if (!id || !timestamp || !/^\d+$/.test(timestamp)) {
    return { ok: false, reason: 'bad_signature', message: 'webhook-signature needs webhook-id and a numeric webhook-timestamp' }
  }
  const skew = Math.abs(req.receivedAt.getTime() / 1000 - Number(timestamp))
  if (skew > SIGNATURE_TOLERANCE_SECONDS) {
    return { ok: false, reason: 'stale_signature', message: `webhook-timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s away from this host's clock` }
  }
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`)
  const signed = new Uint8Array(prefix.length + req.body.length)
  signed.set(prefix)
  signed.set(req.body, prefix.length)
  const key = signingKey(secret)
  // Several space-separated signatures may be sent (during a key rotation); one valid v1 is enough.
  for (const candidate of signatures.split(/\s+/)) {
    const [version, value] = candidate.split(',', 2)
    if (version === 'v1' && value && (await verifyBase64Signature(key, signed, value))) return { ok: true, signed: true }
  }
  return { ok: false, reason: 'bad_signature', message: "webhook-signature does not match the body and this token's signing token" }
}

function parse(req: HookRequest): ParseOutcome {
  const json = readJson(req)
  if (!json.ok) return json.outcome
  const kind = validate(KindSchema, json.value, 'GitLab project hook')
  if (!kind.ok) return kind.outcome
  const event = kind.value.object_kind
  // Idempotency-Key survives a re-send; X-Gitlab-Webhook-UUID is new on every attempt.
  const ids = deliveryIds(header(req, 'idempotency-key') ?? header(req, 'webhook-id'))

  switch (event) {
    case 'push':
    case 'tag_push': {
      const body = validate(PushSchema, json.value, `${event} event`)
      if (!body.ok) return body.outcome
      const { ref, after, project } = body.value
      if (after && ZERO_COMMIT.test(after)) return ignored(`push deleted ${ref}`)
      return gitEvent(event, event === 'tag_push' ? tagRef(ref) : branchRef(ref), ids, { repository: project?.path_with_namespace })
    }
    case 'pipeline': {
      const body = validate(PipelineSchema, json.value, 'pipeline event')
      if (!body.ok) return body.outcome
      const { object_attributes: pipeline, project } = body.value
      // A pipeline sends one event per status change; only the final `success` deploys.
      if (pipeline.status !== 'success') return ignored(`pipeline ${pipeline.status}, not success`)
      const ref = pipeline.tag ? tagRef(pipeline.ref) : branchRef(pipeline.ref)
      return gitEvent(event, ref, ids, { repository: project?.path_with_namespace })
    }
    case 'release': {
      const body = validate(ReleaseSchema, json.value, 'release event')
      if (!body.ok) return body.outcome
      const { action, tag, project } = body.value
      if (action !== 'create') return ignored(`release ${action}, not create`)
      return gitEvent(event, tagRef(tag), ids, { repository: project?.path_with_namespace, tag })
    }
    default:
      return ignored(`${event} events do not deploy`)
  }
}

export const gitlab: HookProviderModule = {
  name: 'gitlab',
  signs: false,
  tokenFrom: (req) => findToken(req, { native: 'x-gitlab-token' }),
  verify,
  parse,
}
