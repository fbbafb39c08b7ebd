/**
 * Docker image references, normalized the way the Engine does it, so that a container's
 * `Config.Image` and a registry's push event can be compared: `nginx` ≡
 * `docker.io/library/nginx:latest`, and a registry host keeps its port (`127.0.0.1:5000/app`).
 */
export interface ImageReference {
  /** Registry host, with port when there is one; `docker.io` for Docker Hub. */
  registry: string
  /** Repository path inside the registry; Docker Hub's official images get `library/`. */
  repository: string
  /** The tag, `latest` when neither a tag nor a digest was written. */
  tag: string | undefined
  /** `sha256:…` when the reference pins a digest. */
  digest: string | undefined
}

export const DOCKER_HUB = 'docker.io'
const DEFAULT_TAG = 'latest'
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-f0-9]{32,}$/i
const IMAGE_ID = /^(sha256:)?[a-f0-9]{64}$/i

/** True for `sha256:<64 hex>` or a bare 64-hex image ID: such a container cannot be updated by tag. */
export function isImageId(value: string): boolean {
  return IMAGE_ID.test(value)
}

/** Parses a reference; returns undefined when it is not a valid image reference. */
export function parseImageReference(input: string): ImageReference | undefined {
  let rest = input.trim()
  if (!rest || isImageId(rest)) return undefined
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) return undefined
  }
  let tag: string | undefined
  const lastColon = rest.lastIndexOf(':')
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1)
    rest = rest.slice(0, lastColon)
    if (!TAG.test(tag)) return undefined
  }
  const slash = rest.indexOf('/')
  const first = slash >= 0 ? rest.slice(0, slash) : ''
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())
  let registry = hasRegistry ? first.toLowerCase() : DOCKER_HUB
  let repository = hasRegistry ? rest.slice(slash + 1) : rest
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB
  if (!repository || !repository.split('/').every((part) => COMPONENT.test(part))) return undefined
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`
  return { registry, repository, tag: tag ?? (digest ? undefined : DEFAULT_TAG), digest }
}

/** `registry/repository` — what the Engine's pull takes as `fromImage`. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`
}

/** The canonical form: `docker.io/library/nginx:latest`, `host:5000/app@sha256:…`. */
export function formatImageReference(ref: ImageReference): string {
  return repositoryName(ref) + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '')
}

/** Whether two references name the same repository and tag after normalization. */
export function sameRepositoryAndTag(a: ImageReference, b: ImageReference): boolean {
  return a.registry === b.registry && a.repository === b.repository && a.tag === b.tag
}
