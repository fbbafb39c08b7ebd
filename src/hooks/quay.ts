/*
 * Quay (webhook-formats.md §7). Like Docker Hub, a Quay notification is only a URL, so the token
 * travels in it (`?token=`). A `repo_push` names the repository (`docker_url`, with the registry
 * host) and `updated_tags`: a list of names today, a map of tag to image id in older versions.
 */
import { z } from 'zod'
import { imageEvent } from './events.ts'
import { pushedImage } from './images.ts'
import { findToken, ignored, readJson, validate } from './request.ts'
import type { HookProviderModule, HookRequest, ImagePush, ParseOutcome } from './types.ts'

const PushSchema = z.object({
  docker_url: z.string().min(1),
  updated_tags: z.union([z.array(z.string()), z.record(z.string(), z.unknown())]).nullish(),
})

function parse(req: HookRequest): ParseOutcome {
  const json = readJson(req)
  if (!json.ok) return json.outcome
  const body = validate(PushSchema, json.value, 'Quay repo_push')
  if (!body.ok) return body.outcome
  const { docker_url: repository, updated_tags: updated } = body.value
  const tags = Array.isArray(updated) ? updated : Object.keys(updated ?? {})
  if (tags.length === 0) return ignored('the push updated no tag')
  const pushes = tags.map((tag) => pushedImage(repository, tag)).filter((push): push is ImagePush => push !== undefined)
  if (pushes.length === 0) return ignored('the push does not name an image reference')
  return imageEvent('repo_push', pushes, [])
}

export const quay: HookProviderModule = {
  name: 'quay',
  signs: false,
  tokenFrom: (req) => findToken(req, { query: true }),
  verify: async () => ({ ok: true, signed: false }),
  parse,
}
