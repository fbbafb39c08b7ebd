/*
 * The generic hook, for any CI or script (webhook-formats.md §8): an empty body deploys what the
 * token names; `{"image": "reg.example/acme/web", "tag": "v1.4.0"}` deploys the token's containers
 * that run that image; `{"ref": "refs/heads/main"}` is checked against the token's ref filter. The
 * token travels as `Authorization: Bearer`, `X-Deploy-Token` or `?token=`; a body signed the GitHub
 * way (`X-Hub-Signature-256`) is checked against the token's webhook secret.
 */
import { z } from 'zod'
import { parseImageReference } from '../image-reference.ts'
import { branchRef, deliveryIds, gitEvent, imageEvent } from './events.ts'
import { pushedImage } from './images.ts'
import { verifyHubSignature } from './github.ts'
import { bodyText, findToken, header, malformed, parseJson, validate } from './request.ts'
import type { HookProviderModule, HookRequest, ParseOutcome } from './types.ts'

const EVENT = 'generic'

const BodySchema = z.object({
  image: z.string().min(1).optional(),
  repository: z.string().min(1).optional(),
  tag: z.string().min(1).optional(),
  digest: z.string().min(1).optional(),
  ref: z.string().min(1).optional(),
})

function parse(req: HookRequest): ParseOutcome {
  const ids = deliveryIds(header(req, 'idempotency-key'))
  const text = bodyText(req)
  if (text === undefined) return malformed('the body is not UTF-8 text')
  if (!text.trim()) return { kind: 'event', event: EVENT, deliveryIds: ids, trigger: { type: 'any' }, summary: {} }
  const json = parseJson(text)
  if (!json.ok) return json.outcome
  const body = validate(BodySchema, json.value, 'generic hook body ({"image", "tag", "digest", "ref"}, all optional)')
  if (!body.ok) return body.outcome
  const { image = body.value.repository, tag, digest, ref } = body.value

  if (image) {
    const named = parseImageReference(image)
    const pushedTag = tag ?? named?.tag
    if (!named || !pushedTag) return malformed('"image" is not an image reference with a tag (or a separate "tag")')
    const push = pushedImage(image, pushedTag, digest)
    return push ? imageEvent(EVENT, [push], ids) : malformed('"tag" is not a valid image tag')
  }
  if (ref) return gitEvent(EVENT, branchRef(ref), ids)
  return { kind: 'event', event: EVENT, deliveryIds: ids, trigger: { type: 'any' }, summary: {} }
}

export const generic: HookProviderModule = {
  name: 'generic',
  signs: false,
  tokenFrom: (req) => findToken(req, { query: true }),
  verify: (req, secret) => verifyHubSignature(req, secret, false),
  parse,
}
