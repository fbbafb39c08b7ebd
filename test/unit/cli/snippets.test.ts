import { describe, expect, it } from 'vitest'
import { describeExpiry, tokenJson, tokenText, type MintedToken } from '../../../agent/cli/snippets.ts'
import { webhookSetup } from '../../../src/snippets.ts'
import type { DeployClaims } from '../../../src/tokens/claims.ts'

const URL = 'https://deploy.example.com'
const NOW = new Date('2026-01-01T00:00:00Z')
const TOKEN = 'v4.public.cGF5bG9hZA.eyJraWQiOiJrNC5waWQueCJ9'
const claims: DeployClaims = {
  containerNames: ['web', 'api'],
  action: 'pull-recreate',
  cleanup: true,
  jti: 'Zm9vYmFyYmF6cXV4cXV1eA',
  iat: '2026-01-01T00:00:00Z',
  exp: '2026-01-31T00:00:00Z',
}

describe('describeExpiry', () => {
  it('says when, and how far away', () => {
    expect(describeExpiry(undefined, NOW)).toBe('never')
    expect(describeExpiry('2026-01-31T00:00:00Z', NOW)).toBe('2026-01-31T00:00:00Z (in 30 days)')
    expect(describeExpiry('2026-01-01T12:00:00Z', NOW)).toBe('2026-01-01T12:00:00Z (in 12 hours)')
    expect(describeExpiry('2026-01-01T00:01:00Z', NOW)).toBe('2026-01-01T00:01:00Z (in 1 minute)')
    expect(describeExpiry('2025-12-31T00:00:00Z', NOW)).toBe('2025-12-31T00:00:00Z (1 day ago)')
  })
})

describe('tokenText', () => {
  it('for CI: the token on a line of its own, what it allows, a runnable curl line and the CI snippets', () => {
    const text = tokenText({ token: TOKEN, claims }, URL, NOW)
    expect(text.split('\n')).toContain(TOKEN)
    expect(text).toContain('containers: web, api')
    expect(text).toContain('action:     pull the image and recreate, then remove the replaced image')
    expect(text).toContain('expires:    2026-01-31T00:00:00Z (in 30 days)')
    expect(text).toContain(`dockhook token revoke ${claims.jti}`)
    expect(text).toContain(`curl -fsS -X POST 'https://deploy.example.com/v1/deploy' -H 'X-Deploy-Token: ${TOKEN}'`)
    expect(text).toContain('${{ secrets.DEPLOY_TOKEN }}')
    expect(text).toContain('Settings → CI/CD → Variables')
  })

  it('for a webhook: the provider\'s fields with the URL and the secret, and no CI snippets', () => {
    const minted: MintedToken = {
      token: TOKEN,
      claims: { ...claims, exp: undefined, hook: { provider: 'github', ref: 'refs/heads/main' } },
      webhook: webhookSetup(URL, 'github', TOKEN, 'the-secret'),
    }
    const text = tokenText(minted, URL, NOW)
    expect(text).toMatch(/Payload URL: +https:\/\/deploy\.example\.com\/v1\/hooks\/github\?token=v4\.public\./)
    expect(text).toMatch(/Secret: +the-secret/)
    expect(text).toContain('webhook:    GitHub only, ref refs/heads/main')
    expect(text).toContain('expires:    never')
    expect(text).not.toContain('GitHub Actions')
  })

  it('prints the registry config block indented under its label', () => {
    const minted: MintedToken = { token: TOKEN, claims: { ...claims, hook: { provider: 'distribution' } }, webhook: webhookSetup(URL, 'distribution', TOKEN) }
    expect(tokenText(minted, URL, NOW)).toContain('  config.yml:\n    notifications:\n      endpoints:\n')
  })
})

describe('tokenJson', () => {
  it('for CI: token, jti, expiry, the deploy URL and the curl line', () => {
    expect(tokenJson({ token: TOKEN, claims }, URL)).toEqual({
      token: TOKEN,
      jti: claims.jti,
      containerNames: ['web', 'api'],
      action: 'pull-recreate',
      cleanup: true,
      issuedAt: claims.iat,
      expires: claims.exp,
      url: 'https://deploy.example.com/v1/deploy',
      curl: expect.stringContaining('X-Deploy-Token'),
    })
  })

  it('for a webhook: the URL to configure, the header or the secret, the ref; null expiry for never', () => {
    const gitlab = tokenJson({ token: TOKEN, claims: { ...claims, exp: undefined, hook: { provider: 'gitlab', ref: 'refs/heads/main' } }, webhook: webhookSetup(URL, 'gitlab', TOKEN) }, URL)
    expect(gitlab).toMatchObject({ expires: null, provider: 'gitlab', url: 'https://deploy.example.com/v1/hooks/gitlab', header: { name: 'X-Gitlab-Token', value: TOKEN }, ref: 'refs/heads/main' })
    expect(gitlab).not.toHaveProperty('secret')
    const gitea = tokenJson({ token: TOKEN, claims: { ...claims, hook: { provider: 'gitea', ref: 'refs/heads/main' } }, webhook: webhookSetup(URL, 'gitea', TOKEN, 's3') }, URL)
    expect(gitea).toMatchObject({ url: `https://deploy.example.com/v1/hooks/gitea?token=${TOKEN}`, secret: 's3' })
  })
})
