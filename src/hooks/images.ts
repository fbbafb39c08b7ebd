import { parseImageReference } from '../image-reference.ts'
import type { ImagePush } from './types.ts'

/** Manifest and index types: a push of one of these under a tag is a new image (webhook-formats.md §4). */
export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
])

/** Providers report a push by digest with the digest where the tag would be. */
export function isDigest(tag: string): boolean {
  return /^sha256:/i.test(tag)
}

/**
 * The normalized image a provider reports as pushed. `repository` may carry a tag or digest of its
 * own (GitHub's `package_url`, Harbor's `resource_url`); `tag` replaces it. Undefined when the two do
 * not make a valid reference, e.g. an empty tag or a digest in its place.
 *
 * Registry paths are lower-case (the Engine refuses anything else); GitHub reports the owner as it
 * is displayed (`ghcr.io/Codertocat/…`), so the repository is lower-cased before it is compared.
 */
export function pushedImage(repository: string, tag: string, digest?: string): ImagePush | undefined {
  const base = stripTagAndDigest(repository.trim()).toLowerCase()
  const ref = parseImageReference(`${base}:${tag}`)
  // A tag with a colon in it would re-split the reference; comparing catches that.
  if (!ref || ref.digest || ref.tag !== tag) return undefined
  return { image: { ...ref, tag }, digest: digest || undefined }
}

/** The same image pushed twice in one delivery counts once. */
export function uniquePushes(pushes: readonly ImagePush[]): ImagePush[] {
  const seen = new Map<string, ImagePush>()
  for (const push of pushes) {
    const key = `${push.image.registry}/${push.image.repository}:${push.image.tag}`
    if (!seen.has(key)) seen.set(key, push)
  }
  return [...seen.values()]
}

function stripTagAndDigest(reference: string): string {
  const at = reference.indexOf('@')
  const withoutDigest = at >= 0 ? reference.slice(0, at) : reference
  const colon = withoutDigest.lastIndexOf(':')
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest
}
