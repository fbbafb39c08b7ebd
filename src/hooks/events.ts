import type { HookEvent, HookSummary, ImagePush } from './types.ts'
import { uniquePushes } from './images.ts'

/** The delivery ids that are present (a provider may send none). */
export function deliveryIds(...ids: (string | undefined)[]): string[] {
  return ids.filter((id): id is string => id !== undefined && id !== '')
}

/** A git event for `ref` (a full ref: `refs/heads/main`, `refs/tags/v1.4.0`). */
export function gitEvent(event: string, ref: string, ids: string[], summary: HookSummary = {}): HookEvent {
  return { kind: 'event', event, deliveryIds: ids, trigger: { type: 'git', ref }, summary: { ...summary, ref } }
}

/** A registry event: one or more pushed images (duplicates dropped). */
export function imageEvent(event: string, pushes: readonly ImagePush[], ids: string[]): HookEvent {
  const unique = uniquePushes(pushes)
  const first = unique[0]
  const summary = first ? { repository: `${first.image.registry}/${first.image.repository}`, tag: first.image.tag } : {}
  return { kind: 'event', event, deliveryIds: ids, trigger: { type: 'image', pushes: unique }, summary }
}

export const branchRef = (branch: string): string => (branch.startsWith('refs/') ? branch : `refs/heads/${branch}`)
export const tagRef = (tag: string): string => (tag.startsWith('refs/') ? tag : `refs/tags/${tag}`)
