/*
 * Gitea and Forgejo (webhook-formats.md §6). Forgejo sends Gitea's headers as `X-Forgejo-*`; both
 * also send GitHub-compatible copies. The token travels in the target URL (`?token=`) or, when the
 * hook sets one, the `Authorization` header. Every delivery must be signed: hex HMAC-SHA256 of the
 * JSON payload — unlike GitHub, of the `payload` field's text when the hook posts a form.
 */
import { z } from 'zod'
import { deliveryIds, gitEvent, imageEvent, tagRef } from './events.ts'
import { isDigest, pushedImage } from './images.ts'
import { findToken, firstHeader, urlHost, ignored, parseJson, payloadText, sha256Hex, validate, ZERO_COMMIT } from './request.ts'
import { verifyHexSignature } from './signatures.ts'
import type { HookProviderModule, HookRequest, ParseOutcome, VerifyOutcome } from './types.ts'

const EVENT_HEADERS = ['x-forgejo-event', 'x-gitea-event', 'x-gogs-event', 'x-github-event']
const DELIVERY_HEADERS = ['x-forgejo-delivery', 'x-gitea-delivery', 'x-gogs-delivery', 'x-github-delivery']
const SIGNATURE_HEADERS = ['x-forgejo-signature', 'x-gitea-signature']

const Repository = z.object({ full_name: z.string() }).nullish()

const PushSchema = z.object({ ref: z.string().min(1), after: z.string().nullish(), repository: Repository })

const ReleaseSchema = z.object({
  action: z.string(),
  release: z.object({ tag_name: z.string().min(1), draft: z.boolean().nullish() }),
  repository: Repository,
})

const PackageSchema = z.object({
  action: z.string(),
  package: z.object({
    type: z.string(),
    name: z.string().min(1),
    version: z.string(),
    owner: z.object({ login: z.string().min(1) }),
    html_url: z.string().nullish(),
  }),
})

async function verify(req: HookRequest, secret: string): Promise<VerifyOutcome> {
  // Gitea sends its bare-hex signature under its own name and `sha256=` under GitHub's; either will do.
  const hex = firstHeader(req, SIGNATURE_HEADERS) ?? sha256Hex(firstHeader(req, ['x-hub-signature-256']))
  if (!hex) {
    return { ok: false, reason: 'missing_signature', message: 'no X-Gitea-Signature or X-Forgejo-Signature: set the webhook secret printed with the token' }
  }
  const payload = payloadText(req)
  if (!payload.ok || !(await verifyHexSignature(secret, payload.value, hex))) {
    return { ok: false, reason: 'bad_signature', message: 'the signature does not match the payload and the webhook secret of this token' }
  }
  return { ok: true, signed: true }
}

function parse(req: HookRequest): ParseOutcome {
  const event = firstHeader(req, EVENT_HEADERS)
  if (!event) return { kind: 'malformed', message: 'no X-Gitea-Event or X-Forgejo-Event header' }
  const text = payloadText(req)
  if (!text.ok) return text.outcome
  const json = parseJson(text.value)
  if (!json.ok) return json.outcome
  const ids = deliveryIds(firstHeader(req, DELIVERY_HEADERS))

  switch (event) {
    case 'push': {
      const body = validate(PushSchema, json.value, 'push event')
      if (!body.ok) return body.outcome
      const { ref, after, repository } = body.value
      if (after && ZERO_COMMIT.test(after)) return ignored(`push deleted ${ref}`)
      return gitEvent(event, ref, ids, { repository: repository?.full_name })
    }
    case 'release': {
      const body = validate(ReleaseSchema, json.value, 'release event')
      if (!body.ok) return body.outcome
      const { action, release, repository } = body.value
      if (action !== 'published' || release.draft) return ignored(`release ${action}, not published`)
      return gitEvent(event, tagRef(release.tag_name), ids, { repository: repository?.full_name, tag: release.tag_name })
    }
    case 'package': {
      const body = validate(PackageSchema, json.value, 'package event')
      if (!body.ok) return body.outcome
      const { action, package: pkg } = body.value
      if (action !== 'created') return ignored(`package ${action}, not created`)
      if (pkg.type !== 'container') return ignored(`${pkg.type} package is not a container image`)
      if (!pkg.version || isDigest(pkg.version)) return ignored('the image was pushed by digest only (no tag)')
      // The registry is the Gitea host itself: `<host>/<owner>/<name>:<version>` (webhook-formats.md §6).
      const host = urlHost(pkg.html_url)
      const push = host ? pushedImage(`${host}/${pkg.owner.login}/${pkg.name}`, pkg.version) : undefined
      if (!push) return ignored('the package does not name an image reference')
      return imageEvent(event, [push], ids)
    }
    default:
      return ignored(`${event} events do not deploy`)
  }
}

export const gitea: HookProviderModule = {
  name: 'gitea',
  signs: true,
  // The hook's optional Authorization header holds whatever was typed into it, with or without `Bearer`.
  tokenFrom: (req) => findToken(req, { query: true, bareAuthorization: true }),
  verify,
  parse,
}
