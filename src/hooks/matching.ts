/*
 * Which of a token's containers a delivery deploys (DESIGN.md, "Webhooks"). Pure: the images the
 * containers run come in as a map, filled by whoever can inspect them (the agent).
 */
import { formatImageReference, parseImageReference, sameRepositoryAndTag } from '../image-reference.ts'
import type { DeployClaims } from '../tokens/claims.ts'
import { branchRef } from './events.ts'
import type { HookEvent, ImagePush } from './types.ts'

export type MatchOutcome = { ok: true; containerNames: string[] } | { ok: false; ignored: string }

/** Whether matching `event` needs the images of the token's containers (only registry pushes do). */
export function needsImages(event: HookEvent): boolean {
  return event.trigger.type === 'image'
}

/**
 * The token's containers that `event` deploys, or why none.
 *
 * - `hook.event`, when set, must equal the provider's event name (case aside).
 * - A git event deploys every container of the token when its ref matches `hook.ref` (exact, or a
 *   pattern where `*` stands for any run of characters: `refs/tags/v*`).
 * - A registry push deploys the containers whose image reference (`Config.Image`) names the pushed
 *   repository and tag after normalization (`nginx` ≡ `docker.io/library/nginx:latest`); `hook.tag`,
 *   when set, is a pattern the pushed tag must match. Several pushes in one delivery make one deploy.
 * - A generic call that names nothing deploys every container, unless the token asks for a ref.
 *
 * @param images container name → its `Config.Image`; containers missing from it match no push
 * @example
 * matchTrigger(event, claims, new Map([['web', '127.0.0.1:5000/acme/web:v1']]))
 * // { ok: true, containerNames: ['web'] }
 */
export function matchTrigger(event: HookEvent, claims: Pick<DeployClaims, 'containerNames' | 'hook'>, images: ReadonlyMap<string, string>): MatchOutcome {
  const { containerNames, hook } = claims
  if (hook?.event && hook.event.toLowerCase() !== event.event.toLowerCase()) {
    return { ok: false, ignored: `the token deploys for ${hook.event} events, this is ${event.event}` }
  }
  const { trigger } = event
  switch (trigger.type) {
    case 'git':
      if (hook?.ref && !globMatch(branchRef(hook.ref), trigger.ref)) {
        return { ok: false, ignored: `${trigger.ref} does not match the token's ref ${hook.ref}` }
      }
      return { ok: true, containerNames: [...containerNames] }
    case 'any':
      if (hook?.ref) return { ok: false, ignored: `the token deploys for ${hook.ref}, and the request names no ref` }
      return { ok: true, containerNames: [...containerNames] }
    case 'image': {
      const pushes = hook?.tag ? trigger.pushes.filter((push) => globMatch(hook.tag!, push.image.tag)) : trigger.pushes
      if (pushes.length === 0) return { ok: false, ignored: `no pushed tag matches the token's tag pattern ${hook?.tag}` }
      const matched = containerNames.filter((name) => runsOneOf(images.get(name), pushes))
      if (matched.length === 0) {
        return { ok: false, ignored: `none of the token's containers runs ${pushes.map((push) => formatImageReference(push.image)).join(', ')}` }
      }
      return { ok: true, containerNames: matched }
    }
  }
}

function runsOneOf(configImage: string | undefined, pushes: readonly ImagePush[]): boolean {
  const running = configImage === undefined ? undefined : parseImageReference(configImage)
  return running !== undefined && pushes.some((push) => sameRepositoryAndTag(running, push.image))
}

/** `pattern` with `*` for any run of characters (slashes too); everything else literal. */
export function globMatch(pattern: string, value: string): boolean {
  const source = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')
  return new RegExp(`^${source}$`).test(value)
}
