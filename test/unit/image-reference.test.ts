import { describe, expect, it } from 'vitest'
import { formatImageReference, isImageId, parseImageReference, sameRepositoryAndTag } from '../../src/image-reference.ts'

describe('parseImageReference', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:latest', 'docker.io/library/nginx:latest'],
    ['me/app:v2', 'docker.io/me/app:v2'],
    ['127.0.0.1:5000/demo/app', '127.0.0.1:5000/demo/app:latest'],
    ['127.0.0.1:5000/demo/app:v1', '127.0.0.1:5000/demo/app:v1'],
    ['localhost/app', 'localhost/app:latest'],
    ['ghcr.io/owner/image:sha-1234', 'ghcr.io/owner/image:sha-1234'],
    [`app@sha256:${'a'.repeat(64)}`, `docker.io/library/app@sha256:${'a'.repeat(64)}`],
    [`reg.example:443/app:v1@sha256:${'b'.repeat(64)}`, `reg.example:443/app:v1@sha256:${'b'.repeat(64)}`],
  ])('%s → %s', (input, canonical) => {
    const parsed = parseImageReference(input)
    expect(parsed && formatImageReference(parsed)).toBe(canonical)
  })

  it.each(['', 'App', 'host/UPPER', 'app:', 'app:bad tag', `sha256:${'c'.repeat(64)}`, 'c'.repeat(64), 'app@sha256:short'])('rejects %j', (input) => {
    expect(parseImageReference(input)).toBeUndefined()
  })

  it('reads an upper-case first component as a registry host, as the Engine does', () => {
    expect(parseImageReference('Registry/app')?.registry).toBe('registry')
  })

  it('tells image IDs apart and compares after normalization', () => {
    expect(isImageId(`sha256:${'d'.repeat(64)}`)).toBe(true)
    expect(isImageId('nginx')).toBe(false)
    const a = parseImageReference('nginx')
    const b = parseImageReference('docker.io/library/nginx:latest')
    const c = parseImageReference('127.0.0.1:5000/nginx')
    expect(a && b && sameRepositoryAndTag(a, b)).toBe(true)
    expect(a && c && sameRepositoryAndTag(a, c)).toBe(false)
  })
})
