import { describe, expect, it } from 'vitest'
import { pushedImage } from '../../../src/hooks/images.ts'
import { globMatch, matchTrigger, needsImages } from '../../../src/hooks/matching.ts'
import type { HookEvent, ImagePush, Trigger } from '../../../src/hooks/types.ts'
import type { HookBinding } from '../../../src/tokens/claims.ts'

function event(trigger: Trigger, name = 'push'): HookEvent {
  return { kind: 'event', event: name, deliveryIds: [], trigger, summary: {} }
}

function pushes(...refs: [string, string][]): Trigger {
  return { type: 'image', pushes: refs.map(([repository, tag]) => pushedImage(repository, tag)!) }
}

const claims = (containerNames: string[], hook?: HookBinding) => ({ containerNames, hook })

describe('matchTrigger for registry pushes', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx', 'latest'],
    ['nginx:latest', 'library/nginx', 'latest'],
    ['docker.io/library/nginx:latest', 'nginx', 'latest'],
    ['index.docker.io/library/nginx', 'docker.io/nginx', 'latest'],
    ['acme/web:v1', 'docker.io/acme/web', 'v1'],
    ['127.0.0.1:5000/acme/web:v1', '127.0.0.1:5000/acme/web', 'v1'],
    ['ghcr.io/acme/web:v1', 'ghcr.io/Acme/web', 'v1'],
    [`reg.example/acme/web:v1@sha256:${'a'.repeat(64)}`, 'reg.example/acme/web', 'v1'],
  ])('a container running %s matches a push of %s:%s', (image, repository, tag) => {
    expect(matchTrigger(event(pushes([repository, tag])), claims(['c']), new Map([['c', image]]))).toEqual({ ok: true, containerNames: ['c'] })
  })

  it.each([
    ['nginx:1.27', 'nginx', 'latest', 'another tag'],
    ['127.0.0.1:5000/acme/web:v1', 'localhost:5000/acme/web', 'v1', 'another registry spelling'],
    ['127.0.0.1:5000/acme/web:v1', '127.0.0.1:5001/acme/web', 'v1', 'another port'],
    ['127.0.0.1:5000/acme/web:v1', '127.0.0.1/acme/web', 'v1', 'no port'],
    ['acme/web:v1', 'reg.example/acme/web', 'v1', 'Docker Hub vs. another registry'],
    ['acme/web:v1', 'docker.io/acme/web-api', 'v1', 'a longer repository name'],
    [`sha256:${'b'.repeat(64)}`, 'acme/web', 'v1', 'an image ID'],
  ])('a container running %s does not match %s:%s (%s)', (image, repository, tag) => {
    expect(matchTrigger(event(pushes([repository, tag])), claims(['c']), new Map([['c', image]]))).toMatchObject({ ok: false })
  })

  it('picks the matching containers out of the token, in token order, once each', () => {
    const images = new Map([
      ['web', 'reg.example/acme/web:v1'],
      ['worker', 'reg.example/acme/web:v1'],
      ['api', 'reg.example/acme/api:v1'],
      ['db', 'postgres:16'],
    ])
    const trigger = pushes(['reg.example/acme/api', 'v1'], ['reg.example/acme/web', 'v1'], ['reg.example/acme/web', 'v1'])
    expect(matchTrigger(event(trigger), claims(['db', 'worker', 'api', 'web', 'missing']), images)).toEqual({ ok: true, containerNames: ['worker', 'api', 'web'] })
  })

  it('says which images nobody runs', () => {
    expect(matchTrigger(event(pushes(['acme/web', 'v2'])), claims(['web']), new Map([['web', 'acme/web:v1']]))).toEqual({
      ok: false,
      ignored: "none of the token's containers runs docker.io/acme/web:v2",
    })
  })

  it('applies the token tag pattern before matching', () => {
    const images = new Map([['web', 'acme/web:latest']])
    expect(matchTrigger(event(pushes(['acme/web', 'latest'])), claims(['web'], { provider: 'quay', tag: 'v*' }), images)).toEqual({
      ok: false,
      ignored: "no pushed tag matches the token's tag pattern v*",
    })
    expect(matchTrigger(event(pushes(['acme/web', 'latest'])), claims(['web'], { provider: 'quay', tag: 'lat*' }), images)).toMatchObject({ ok: true })
  })

  it('ignores the ref filter: registry pushes have no ref', () => {
    const images = new Map([['web', 'ghcr.io/acme/web:v1']])
    expect(matchTrigger(event(pushes(['ghcr.io/acme/web', 'v1']), 'package'), claims(['web'], { provider: 'github', ref: 'refs/heads/main' }), images)).toMatchObject({ ok: true })
  })
})

describe('matchTrigger for git events', () => {
  const git = (ref: string, name = 'push') => event({ type: 'git', ref }, name)

  it('deploys every container of the token when the ref matches exactly', () => {
    expect(matchTrigger(git('refs/heads/main'), claims(['web', 'api'], { provider: 'github', ref: 'refs/heads/main' }), new Map())).toEqual({ ok: true, containerNames: ['web', 'api'] })
  })

  it.each([
    ['refs/heads/main', 'refs/heads/main-old'],
    ['refs/heads/main', 'refs/tags/main'],
    ['refs/heads/main', 'refs/heads/dev'],
    ['refs/tags/v*', 'refs/heads/v1'],
    ['refs/tags/v*', 'refs/tags/1.0'],
  ])('filter %s refuses %s', (filter, ref) => {
    expect(matchTrigger(git(ref), claims(['web'], { provider: 'gitlab', ref: filter }), new Map())).toMatchObject({ ok: false })
  })

  it.each([
    ['refs/tags/v*', 'refs/tags/v1.4.0'],
    ['refs/heads/release/*', 'refs/heads/release/2026.03'],
    ['main', 'refs/heads/main'],
  ])('filter %s accepts %s', (filter, ref) => {
    expect(matchTrigger(git(ref), claims(['web'], { provider: 'gitlab', ref: filter }), new Map())).toMatchObject({ ok: true })
  })

  it('accepts any ref when the token has no ref filter', () => {
    expect(matchTrigger(git('refs/heads/anything'), claims(['web']), new Map())).toMatchObject({ ok: true })
  })

  it('checks the event filter, case aside', () => {
    const hook: HookBinding = { provider: 'github', event: 'Workflow_Run' }
    expect(matchTrigger(git('refs/heads/main', 'workflow_run'), claims(['web'], hook), new Map())).toMatchObject({ ok: true })
    expect(matchTrigger(git('refs/heads/main', 'push'), claims(['web'], hook), new Map())).toEqual({ ok: false, ignored: 'the token deploys for Workflow_Run events, this is push' })
  })
})

describe('needsImages', () => {
  it('is true only for registry pushes', () => {
    expect(needsImages(event(pushes(['a/b', 'v1'])))).toBe(true)
    expect(needsImages(event({ type: 'git', ref: 'refs/heads/main' }))).toBe(false)
    expect(needsImages(event({ type: 'any' }))).toBe(false)
  })
})

describe('globMatch', () => {
  it('treats everything but * literally', () => {
    expect(globMatch('v1.4', 'v1x4')).toBe(false)
    expect(globMatch('refs/tags/v(1)', 'refs/tags/v(1)')).toBe(true)
    expect(globMatch('*', '')).toBe(true)
    expect(globMatch('a*b*c', 'a-b-x-c')).toBe(true)
    expect(globMatch('a*b', 'a-b-c')).toBe(false)
  })
})

describe('pushedImage', () => {
  it.each([
    ['ghcr.io/Acme/web:', 'v1', 'ghcr.io', 'acme/web'],
    ['harbor.example/acme/web:v1', 'v2', 'harbor.example', 'acme/web'],
    [`harbor.example/acme/web@sha256:${'c'.repeat(64)}`, 'v2', 'harbor.example', 'acme/web'],
    ['127.0.0.1:5000/app', 'v1', '127.0.0.1:5000', 'app'],
    ['library/nginx', 'latest', 'docker.io', 'library/nginx'],
  ])('%s with tag %s is %s/%s', (repository, tag, registry, path) => {
    expect(pushedImage(repository, tag)?.image).toMatchObject({ registry, repository: path, tag })
  })

  it.each([['acme/web', ''], ['acme/web', `sha256:${'d'.repeat(64)}`], ['acme/web', 'bad tag'], ['', 'v1']])('refuses %j with tag %j', (repository, tag) => {
    expect(pushedImage(repository, tag)).toBeUndefined()
  })

  it('keeps the digest, if any', () => {
    const push: ImagePush | undefined = pushedImage('acme/web', 'v1', `sha256:${'e'.repeat(64)}`)
    expect(push?.digest).toBe(`sha256:${'e'.repeat(64)}`)
  })
})
