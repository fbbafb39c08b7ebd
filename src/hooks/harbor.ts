/*
 * Harbor (webhook-formats.md §5), in its default and its CloudEvents format. The token is the
 * policy's "Auth Header", sent verbatim as `Authorization`, with or without `Bearer`. Harbor's "Test
 * Endpoint" sends something that is not an artifact push, so whatever is not one gets a 2xx.
 */
import { z } from 'zod'
import { deliveryIds, imageEvent } from './events.ts'
import { isDigest, pushedImage } from './images.ts'
import { findToken, header, ignored, readJson, validate } from './request.ts'
import type { HookProviderModule, HookRequest, ImagePush, ParseOutcome } from './types.ts'

const DEFAULT_PUSH = 'PUSH_ARTIFACT'
const CLOUDEVENTS_PUSH = 'harbor.artifact.pushed'

const KindSchema = z.object({ type: z.string().nullish(), specversion: z.string().nullish(), id: z.string().nullish() })

const ResourceSchema = z.object({ tag: z.string().nullish(), digest: z.string().nullish(), resource_url: z.string().nullish() })
const PushDataSchema = z.object({ resources: z.array(ResourceSchema) })
type Resource = z.infer<typeof ResourceSchema>

const DefaultSchema = z.object({ occur_at: z.number().nullish(), event_data: PushDataSchema })
const CloudEventSchema = z.object({ data: PushDataSchema })

function parse(req: HookRequest): ParseOutcome {
  const json = readJson(req)
  if (!json.ok) return json.outcome
  const kind = KindSchema.safeParse(json.value)
  if (!kind.success) return ignored('not a Harbor event (a test delivery?)')
  const { type, specversion, id } = kind.data
  const cloudEvent = Boolean(specversion)
  if (type !== (cloudEvent ? CLOUDEVENTS_PUSH : DEFAULT_PUSH)) return ignored(`${type ?? 'an event without a type'} does not deploy`)

  let resources: Resource[]
  let eventId: string | undefined
  if (cloudEvent) {
    const body = validate(CloudEventSchema, json.value, 'Harbor CloudEvent')
    if (!body.ok) return body.outcome
    resources = body.value.data.resources
    eventId = id ?? header(req, 'ce-id')
  } else {
    const body = validate(DefaultSchema, json.value, 'Harbor event')
    if (!body.ok) return body.outcome
    resources = body.value.event_data.resources
    eventId = body.value.occur_at ? defaultFormatId(body.value.occur_at, resources) : undefined
  }
  const pushes = resources.flatMap(({ tag, digest, resource_url: url }): ImagePush[] => {
    // A push by digest reports the digest as its tag.
    if (!tag || isDigest(tag) || !url) return []
    const push = pushedImage(url, tag, digest ?? undefined)
    return push ? [push] : []
  })
  if (pushes.length === 0) return ignored('the artifact was pushed by digest only (no tag)')
  return imageEvent(type, pushes, deliveryIds(eventId))
}

/**
 * The default format has no event id. Harbor retries by resending the same payload, so the time of
 * the event and the digests it reports identify it.
 */
function defaultFormatId(occurAt: number, resources: readonly Resource[]): string {
  return `${occurAt}:${resources.map((resource) => resource.digest ?? '').join(',')}`
}

export const harbor: HookProviderModule = {
  name: 'harbor',
  signs: false,
  tokenFrom: (req) => findToken(req, { bareAuthorization: true }),
  verify: async () => ({ ok: true, signed: false }),
  parse,
}
