/*
 * CNCF distribution registries (registry:2 and registry:3; also GitLab's registry) — webhook-formats.md
 * §4. The token is the `Authorization` header configured on the notification endpoint, with or
 * without `Bearer`. An envelope holds one or more events; a new image is a manifest pushed by tag.
 * The registry retries anything but 2xx forever, so every well-formed envelope gets a 2xx.
 */
import { z } from 'zod'
import { imageEvent } from './events.ts'
import { MANIFEST_MEDIA_TYPES, pushedImage } from './images.ts'
import { findToken, ignored, readJson, urlHost, validate } from './request.ts'
import type { HookProviderModule, HookRequest, ImagePush, ParseOutcome } from './types.ts'

const EventSchema = z.object({
  id: z.string().nullish(),
  action: z.string(),
  target: z
    .object({
      mediaType: z.string().nullish(),
      digest: z.string().nullish(),
      repository: z.string().nullish(),
      tag: z.string().nullish(),
      url: z.string().nullish(),
    })
    .nullish(),
  request: z.object({ host: z.string().nullish() }).nullish(),
})

const EnvelopeSchema = z.object({ events: z.array(EventSchema) })

type RegistryEvent = z.infer<typeof EventSchema>

function parse(req: HookRequest): ParseOutcome {
  const json = readJson(req)
  if (!json.ok) return json.outcome
  const body = validate(EnvelopeSchema, json.value, 'registry notification envelope')
  if (!body.ok) return body.outcome
  const pushes: ImagePush[] = []
  const ids: string[] = []
  for (const event of body.value.events) {
    const push = tagPush(event)
    if (!push) continue
    pushes.push(push)
    if (event.id) ids.push(event.id)
  }
  if (pushes.length === 0) return ignored('no manifest was pushed by tag (blob, digest-only, pull and delete events do not deploy)')
  return imageEvent('push', pushes, ids)
}

/** The image of a manifest pushed by tag; blobs and per-platform manifests (pushed by digest) are not. */
function tagPush({ action, target, request }: RegistryEvent): ImagePush | undefined {
  if (action !== 'push' || !target?.tag || !target.repository || !MANIFEST_MEDIA_TYPES.has(target.mediaType ?? '')) return undefined
  // `request.host` is the host the client pushed to, the one a container's image reference names.
  const host = request?.host || urlHost(target.url)
  return host ? pushedImage(`${host}/${target.repository}`, target.tag, target.digest ?? undefined) : undefined
}

export const distribution: HookProviderModule = {
  name: 'distribution',
  signs: false,
  tokenFrom: (req) => findToken(req, { bareAuthorization: true }),
  verify: async () => ({ ok: true, signed: false }),
  parse,
}
