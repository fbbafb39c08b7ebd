import { describe, expect, it } from 'vitest'
import { findHookProvider, HOOK_PROVIDER_MODULES } from '../../../src/hooks/index.ts'
import { HOOK_PROVIDERS } from '../../../src/tokens/claims.ts'
import { hookRequest, scenario } from './delivery.ts'

describe('the provider table', () => {
  it('has a module for every provider a token can be bound to, under its own name', () => {
    expect(Object.keys(HOOK_PROVIDER_MODULES).sort()).toEqual([...HOOK_PROVIDERS].sort())
    for (const name of HOOK_PROVIDERS) expect(findHookProvider(name)?.name).toBe(name)
  })

  it('knows no other name (the route answers 404)', async () => {
    for (const name of ['bitbucket', 'GitHub', 'toString', '__proto__', '']) expect(findHookProvider(name)).toBeUndefined()
    const s = await scenario()
    expect(await s.deliver('bitbucket', hookRequest('bitbucket', { query: { token: s.token } }))).toMatchObject({ status: 404 })
  })

  it('requires signatures from GitHub and Gitea/Forgejo only', () => {
    expect(HOOK_PROVIDERS.filter((name) => HOOK_PROVIDER_MODULES[name].signs)).toEqual(['github', 'gitea'])
  })

  it('accepts the token in the URL only from providers that cannot send a header (and the generic hook)', () => {
    const inUrl = HOOK_PROVIDERS.filter((name) => HOOK_PROVIDER_MODULES[name].tokenFrom(hookRequest(name, { query: { token: 'v4.public.x' } })) !== undefined)
    expect(inUrl).toEqual(['github', 'gitea', 'dockerhub', 'quay', 'generic'])
  })
})
