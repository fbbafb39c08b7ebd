import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import {
  curlCommand,
  distributionConfig,
  githubActionsStep,
  gitlabCiJob,
  hookUrl,
  webhookInstructions,
  webhookSetup,
  type SetupLine,
} from '../../src/snippets.ts'
import type { HookProvider } from '../../src/tokens/claims.ts'

const URL = 'https://deploy.example.com/'
const TOKEN = 'v4.public.eyJhIjoxfQ-_abc.eyJraWQiOiJrNC5waWQueCJ9'
const SECRET = 'c2VjcmV0LXNlY3JldA'

function value(lines: SetupLine[], label: string): string | undefined {
  for (const line of lines) if ('label' in line && line.label === label) return line.value
  return undefined
}

describe('webhookSetup', () => {
  it.each<[HookProvider, string]>([
    ['github', `https://deploy.example.com/v1/hooks/github?token=${TOKEN}`],
    ['gitea', `https://deploy.example.com/v1/hooks/gitea?token=${TOKEN}`],
    ['dockerhub', `https://deploy.example.com/v1/hooks/dockerhub?token=${TOKEN}`],
    ['quay', `https://deploy.example.com/v1/hooks/quay?token=${TOKEN}`],
  ])('puts the token in the URL for %s, which can send nothing else', (provider, url) => {
    const setup = webhookSetup(URL, provider, TOKEN)
    expect(setup.url).toBe(url)
    expect(setup.header).toBeUndefined()
  })

  it.each<[HookProvider, string, string]>([
    ['gitlab', 'X-Gitlab-Token', TOKEN],
    ['distribution', 'Authorization', `Bearer ${TOKEN}`],
    ['harbor', 'Authorization', `Bearer ${TOKEN}`],
  ])('puts the token in the native header for %s, never in the URL', (provider, name, headerValue) => {
    const setup = webhookSetup(URL, provider, TOKEN)
    expect(setup.url).toBe(hookUrl(URL, provider))
    expect(setup.url).not.toContain(TOKEN)
    expect(setup.header).toEqual({ name, value: headerValue })
  })

  it('carries the signing secret only for the providers that sign', () => {
    expect(webhookSetup(URL, 'github', TOKEN, SECRET).secret).toBe(SECRET)
    expect(webhookSetup(URL, 'gitea', TOKEN, SECRET).secret).toBe(SECRET)
    expect(webhookSetup(URL, 'gitlab', TOKEN, SECRET).secret).toBeUndefined()
    expect(webhookSetup(URL, 'dockerhub', TOKEN, SECRET).secret).toBeUndefined()
  })

  it("gives GitLab its signing token (whsec_ + base64 of the secret's bytes) and the generic hook its optional secret", () => {
    const gitlab = webhookSetup(URL, 'gitlab', TOKEN, SECRET)
    expect(gitlab.signingToken).toBe(`whsec_${Buffer.from(SECRET, 'base64url').toString('base64')}`)
    expect(value(webhookInstructions(gitlab), 'Signing token')).toBe(gitlab.signingToken)
    const generic = webhookSetup(URL, 'generic', TOKEN, SECRET)
    expect(generic.secret).toBe(SECRET)
    expect(value(webhookInstructions(generic), 'Secret')).toBe(SECRET)
    for (const provider of ['distribution', 'harbor', 'quay'] as const) expect(webhookSetup(URL, provider, TOKEN, SECRET)).not.toHaveProperty('signingToken')
  })
})

describe('webhookInstructions', () => {
  it('names GitHub\'s fields: Payload URL, Content type, Secret', () => {
    const lines = webhookInstructions(webhookSetup(URL, 'github', TOKEN, SECRET))
    expect(value(lines, 'Payload URL')).toContain('?token=')
    expect(value(lines, 'Content type')).toBe('application/json')
    expect(value(lines, 'Secret')).toBe(SECRET)
    expect(lines[0]).toEqual({ text: expect.stringContaining('Settings → Webhooks') })
  })

  it('puts the token into GitLab\'s Secret token field and Harbor\'s Auth Header', () => {
    expect(value(webhookInstructions(webhookSetup(URL, 'gitlab', TOKEN)), 'Secret token')).toBe(TOKEN)
    expect(value(webhookInstructions(webhookSetup(URL, 'gitlab', TOKEN)), 'URL')).toBe('https://deploy.example.com/v1/hooks/gitlab')
    expect(value(webhookInstructions(webhookSetup(URL, 'harbor', TOKEN)), 'Auth Header')).toBe(`Bearer ${TOKEN}`)
  })

  it('gives Docker Hub and Quay the URL with the token', () => {
    expect(value(webhookInstructions(webhookSetup(URL, 'dockerhub', TOKEN)), 'Webhook URL')).toContain(`token=${TOKEN}`)
    const quay = webhookInstructions(webhookSetup(URL, 'quay', TOKEN))
    expect(value(quay, 'Then issue a notification')).toBe('Webhook POST')
    expect(value(quay, 'Webhook URL')).toContain(`token=${TOKEN}`)
  })

  it('gives every provider at least one field to fill in', () => {
    for (const provider of ['github', 'gitlab', 'gitea', 'dockerhub', 'distribution', 'harbor', 'quay', 'generic'] as const) {
      expect(webhookInstructions(webhookSetup(URL, provider, TOKEN)).some((line) => 'label' in line)).toBe(true)
    }
  })
})

describe('distributionConfig', () => {
  it('is a notifications.endpoints block with the Authorization header as a list', () => {
    const yaml = distributionConfig(webhookSetup(URL, 'distribution', TOKEN))
    expect(yaml).toContain('notifications:\n  endpoints:\n    - name: dockhook\n      url: https://deploy.example.com/v1/hooks/distribution\n')
    expect(yaml).toContain(`        Authorization: ["Bearer ${TOKEN}"]`)
  })
})

describe('CI snippets', () => {
  it('builds a curl line that a shell runs with the token as one header', () => {
    const line = curlCommand(URL, "it's")
    expect(line).toBe(`curl -fsS -X POST 'https://deploy.example.com/v1/deploy' -H 'X-Deploy-Token: it'\\''s'`)
    // The shell itself says how it splits the line: the quote inside the token survives.
    const words = execFileSync('sh', ['-c', `printf '%s\\n' ${line.slice('curl '.length)}`], { encoding: 'utf8' }).trimEnd().split('\n')
    expect(words).toEqual(['-fsS', '-X', 'POST', 'https://deploy.example.com/v1/deploy', '-H', "X-Deploy-Token: it's"])
  })

  it('reads the token from $DEPLOY_TOKEN in CI snippets, never inlines it', () => {
    expect(curlCommand(URL)).toContain('-H "X-Deploy-Token: $DEPLOY_TOKEN"')
    expect(githubActionsStep(URL)).toContain('DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}')
    expect(githubActionsStep(URL)).toContain("'https://deploy.example.com/v1/deploy'")
    expect(gitlabCiJob(URL)).toMatch(/^deploy:\n {2}stage: deploy\n/)
    expect(gitlabCiJob(URL)).toContain('$DEPLOY_TOKEN')
  })
})
