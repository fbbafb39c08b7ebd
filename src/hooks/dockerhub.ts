/*
 * Docker Hub (webhook-formats.md §3). A Hub webhook is only a URL: no secret, no header, so the token
 * travels in it (`?token=`). Every delivery is a push; `push_data.tag` names the tag, no digest is sent.
 * The legacy `callback_url` is not called: Hub no longer supports it. Hub sends no delivery id;
 * repository, tag and `pushed_at` together identify a push, and a resend repeats all three.
 */
import { z } from 'zod'
import { deliveryIds, imageEvent } from './events.ts'
import { pushedImage } from './images.ts'
import { findToken, ignored, readJson, validate } from './request.ts'
import type { HookProviderModule, HookRequest, ParseOutcome } from './types.ts'

const PushSchema = z.object({
  push_data: z.object({ tag: z.string().nullish(), pushed_at: z.number().nullish() }).nullish(),
  repository: z.object({ repo_name: z.string().min(1) }),
})

function parse(req: HookRequest): ParseOutcome {
  const json = readJson(req)
  if (!json.ok) return json.outcome
  const body = validate(PushSchema, json.value, 'Docker Hub push')
  if (!body.ok) return body.outcome
  const tag = body.value.push_data?.tag
  if (!tag) return ignored('the push names no tag')
  const push = pushedImage(body.value.repository.repo_name, tag)
  if (!push) return ignored('the push does not name an image reference')
  const pushedAt = body.value.push_data?.pushed_at
  return imageEvent('push', [push], deliveryIds(pushedAt ? `${body.value.repository.repo_name}:${tag}@${pushedAt}` : undefined))
}

export const dockerhub: HookProviderModule = {
  name: 'dockerhub',
  signs: false,
  tokenFrom: (req) => findToken(req, { query: true }),
  verify: async () => ({ ok: true, signed: false }),
  parse,
}
