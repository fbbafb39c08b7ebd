/*
 * What to paste where: the text a person copies into a CI system or a provider's webhook settings.
 * Pure string builders from the instance URL (and, for a token just made, the token and its webhook
 * secret), shared by the CLI and the agent's index page. No runtime APIs: this runs in workerd too.
 */
import { gitlabSigningToken } from './hooks/gitlab.ts'
import type { HookProvider } from './tokens/claims.ts'

/** The CI secret/variable name every CI snippet refers to. */
export const DEPLOY_TOKEN_VARIABLE = 'DEPLOY_TOKEN'

/** Git providers: their events carry a ref, which the token's hook binding matches. */
export const GIT_PROVIDERS = ['github', 'gitlab', 'gitea'] as const satisfies readonly HookProvider[]

/** Default ref a git provider's hook must match. */
export const DEFAULT_HOOK_REF = 'refs/heads/main'

export function isGitProvider(provider: HookProvider): provider is (typeof GIT_PROVIDERS)[number] {
  return (GIT_PROVIDERS as readonly HookProvider[]).includes(provider)
}

/** GitHub and Gitea/Forgejo sign every body with the hook's secret; dockhook checks that signature. */
export function signsPayloads(provider: HookProvider): provider is 'github' | 'gitea' {
  return provider === 'github' || provider === 'gitea'
}

/**
 * Whether the provider's hook can use the token's webhook secret: GitHub and Gitea/Forgejo must,
 * GitLab may as its signing token, and a generic caller may sign its body the GitHub way.
 */
export function usesHookSecret(provider: HookProvider): provider is 'github' | 'gitea' | 'gitlab' | 'generic' {
  return signsPayloads(provider) || provider === 'gitlab' || provider === 'generic'
}

/**
 * How the token travels in each provider's request: in its native secret header where it has one
 * (webhook-formats.md §2, §4, §5), otherwise in the URL, the only thing Docker Hub and Quay can send.
 */
const TOKEN_TRANSPORT: Record<HookProvider, { kind: 'query' } | { kind: 'header'; name: string; bearer: boolean }> = {
  github: { kind: 'query' },
  gitea: { kind: 'query' },
  dockerhub: { kind: 'query' },
  quay: { kind: 'query' },
  gitlab: { kind: 'header', name: 'X-Gitlab-Token', bearer: false },
  distribution: { kind: 'header', name: 'Authorization', bearer: true },
  harbor: { kind: 'header', name: 'Authorization', bearer: true },
  generic: { kind: 'header', name: 'Authorization', bearer: true },
}

/** Names people know the providers by. */
export const PROVIDER_TITLES: Record<HookProvider, string> = {
  github: 'GitHub',
  gitlab: 'GitLab',
  gitea: 'Gitea / Forgejo',
  dockerhub: 'Docker Hub',
  distribution: 'Registry notifications (CNCF distribution, registry:2/3)',
  harbor: 'Harbor',
  quay: 'Quay',
  generic: 'Generic webhook',
}

/** Everything a provider's webhook settings need for one token. */
export interface WebhookSetup {
  provider: HookProvider
  /** The URL to enter; for query-transport providers it contains the token. */
  url: string
  /** The header the provider must send, when the token travels in a header. */
  header?: { name: string; value: string }
  /** The signing secret: required by GitHub and Gitea/Forgejo, optional for the generic hook. */
  secret?: string
  /** GitLab's optional signing token (`whsec_…`), derived from the same secret; checked when GitLab signs. */
  signingToken?: string
}

function base(url: string): string {
  return url.replace(/\/+$/, '')
}

/** `<URL>/v1/deploy` */
export function deployUrl(instanceUrl: string): string {
  return `${base(instanceUrl)}/v1/deploy`
}

/** `<URL>/v1/hooks/<provider>`, without the token. */
export function hookUrl(instanceUrl: string, provider: HookProvider): string {
  return `${base(instanceUrl)}/v1/hooks/${provider}`
}

/**
 * Where a webhook token goes for `provider`.
 * @example webhookSetup('https://deploy.example', 'gitlab', token) // { url: …/v1/hooks/gitlab, header: { name: 'X-Gitlab-Token', value: token } }
 */
export function webhookSetup(instanceUrl: string, provider: HookProvider, token: string, secret?: string): WebhookSetup {
  const transport = TOKEN_TRANSPORT[provider]
  const url = hookUrl(instanceUrl, provider)
  const setup: WebhookSetup =
    transport.kind === 'query'
      ? { provider, url: `${url}?token=${encodeURIComponent(token)}` }
      : { provider, url, header: { name: transport.name, value: transport.bearer ? `Bearer ${token}` : token } }
  if (secret !== undefined && provider === 'gitlab') setup.signingToken = gitlabSigningToken(secret)
  else if (secret !== undefined && usesHookSecret(provider)) setup.secret = secret
  return setup
}

/** A shell-quoted word (single quotes survive every character but `'` itself). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/**
 * One curl line that deploys; with a token it is ready to run, without one it reads `$DEPLOY_TOKEN`.
 * `-f` makes curl exit non-zero when the deploy fails, so a CI job fails with it.
 */
export function curlCommand(instanceUrl: string, token?: string): string {
  const header = token === undefined ? `"X-Deploy-Token: $${DEPLOY_TOKEN_VARIABLE}"` : shellQuote(`X-Deploy-Token: ${token}`)
  return `curl -fsS -X POST ${shellQuote(deployUrl(instanceUrl))} -H ${header}`
}

/**
 * Like {@link curlCommand}, but asks for the live event stream (`Accept: application/x-ndjson`):
 * one JSON object per line as the deploy happens, ending with a `result` line. `-N` stops curl from
 * holding lines back. The status is 200 as soon as the deploy starts; `ok` in the last line tells.
 */
export function curlStreamCommand(instanceUrl: string): string {
  return `curl -sSN -X POST ${shellQuote(deployUrl(instanceUrl))} -H "X-Deploy-Token: $${DEPLOY_TOKEN_VARIABLE}" -H 'Accept: application/x-ndjson'`
}

/** Runs the instance's bash helper (`/s`): live progress, exit code 0 only when the deploy succeeded. */
export function bashHelperCommand(instanceUrl: string): string {
  return `curl -fsS ${shellQuote(`${base(instanceUrl)}/s`)} | bash -s "$${DEPLOY_TOKEN_VARIABLE}"`
}

/** Runs the instance's PowerShell helper (`/pwsh`); same behaviour as the bash one. */
export function powershellHelperCommand(instanceUrl: string): string {
  // Single quotes keep the URL literal inside the double-quoted string iex evaluates.
  return `iex "& { $(irm '${base(instanceUrl).replace(/'/g, "''")}/pwsh') } $env:${DEPLOY_TOKEN_VARIABLE}"`
}

/** A GitHub Actions step for the job that runs after the image is pushed. */
export function githubActionsStep(instanceUrl: string): string {
  return [
    '      - name: Deploy',
    `        run: ${curlCommand(instanceUrl)}`,
    '        env:',
    `          ${DEPLOY_TOKEN_VARIABLE}: \${{ secrets.${DEPLOY_TOKEN_VARIABLE} }}`,
  ].join('\n')
}

/** A GitLab CI job for the stage after the image is pushed. */
export function gitlabCiJob(instanceUrl: string): string {
  return [
    'deploy:',
    '  stage: deploy',
    '  image: curlimages/curl:latest',
    '  script:',
    `    - ${curlCommand(instanceUrl)}`,
    '  rules:',
    '    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH',
  ].join('\n')
}

/** Where the token of a CI snippet is kept, per CI system. */
export const CI_SECRET_PLACES = {
  github: `Settings → Secrets and variables → Actions → New repository secret, name ${DEPLOY_TOKEN_VARIABLE}`,
  gitlab: `Settings → CI/CD → Variables → Add variable, key ${DEPLOY_TOKEN_VARIABLE}, Masked and Protected`,
} as const

/** A registry `config.yml` block that sends push events to dockhook (distribution's notifications). */
export function distributionConfig(setup: WebhookSetup): string {
  const lines = [
    'notifications:',
    '  endpoints:',
    '    - name: dockhook',
    `      url: ${setup.url}`,
  ]
  if (setup.header) lines.push('      headers:', `        ${setup.header.name}: [${JSON.stringify(setup.header.value)}]`)
  lines.push(
    // dockhook answers within a second or two; the registry's 1 s default is too tight behind a proxy.
    '      timeout: 5s',
    '      threshold: 5',
    '      backoff: 10s',
    '      ignoredmediatypes:',
    '        - application/octet-stream',
  )
  return lines.join('\n')
}

/** A labelled value to copy, or a line of explanation. */
export type SetupLine = { label: string; value: string } | { text: string }

/**
 * The provider's settings, field by field, in the order its form shows them.
 * @example webhookInstructions(webhookSetup(url, 'github', token, secret))
 */
export function webhookInstructions(setup: WebhookSetup): SetupLine[] {
  const header = setup.header
  switch (setup.provider) {
    case 'github':
      return [
        { text: 'GitHub: repository Settings → Webhooks → Add webhook' },
        { label: 'Payload URL', value: setup.url },
        { label: 'Content type', value: 'application/json' },
        ...secretLine(setup),
        { text: 'Events: "Just the push event" (or pick "Workflow runs" to deploy after CI has finished).' },
      ]
    case 'gitea':
      return [
        { text: 'Gitea / Forgejo: repository Settings → Webhooks → Add webhook → Gitea (or Forgejo)' },
        { label: 'Target URL', value: setup.url },
        { label: 'HTTP method', value: 'POST' },
        { label: 'POST content type', value: 'application/json' },
        ...secretLine(setup),
        { text: 'Trigger on: push events (or "Package" events for container images).' },
      ]
    case 'gitlab':
      return [
        { text: 'GitLab: project Settings → Webhooks → Add new webhook' },
        { label: 'URL', value: setup.url },
        ...(header ? [{ label: 'Secret token', value: header.value }] : []),
        ...(setup.signingToken === undefined ? [] : [{ label: 'Signing token', value: setup.signingToken }, { text: 'Only where GitLab offers webhook signing; without it the secret token alone is checked.' }]),
        { text: 'Trigger: Push events (or Pipeline events to deploy after the pipeline succeeded).' },
      ]
    case 'dockerhub':
      return [
        { text: 'Docker Hub: repository → Webhooks' },
        { label: 'Webhook name', value: 'dockhook' },
        { label: 'Webhook URL', value: setup.url },
      ]
    case 'quay':
      return [
        { text: 'Quay: repository Settings → Events and Notifications → Create notification' },
        { label: 'When this event occurs', value: 'Push to Repository' },
        { label: 'Then issue a notification', value: 'Webhook POST' },
        { label: 'Webhook URL', value: setup.url },
      ]
    case 'harbor':
      return [
        { text: 'Harbor: Project → Webhooks → New webhook' },
        { label: 'Notify type', value: 'http' },
        { label: 'Event type', value: 'Artifact pushed' },
        { label: 'Endpoint URL', value: setup.url },
        ...(header ? [{ label: 'Auth Header', value: header.value }] : []),
      ]
    case 'distribution':
      return [
        { text: 'Registry (CNCF distribution): add this to the registry\'s config.yml and restart it' },
        { label: 'config.yml', value: distributionConfig(setup) },
      ]
    case 'generic':
      return [
        { text: 'Send a JSON POST naming the image that was pushed:' },
        { label: 'URL', value: setup.url },
        ...(header ? [{ label: header.name, value: header.value }] : []),
        { label: 'Body', value: '{"image":"registry.example/acme/web","tag":"v1.4.0"}' },
        ...(setup.secret === undefined
          ? []
          : [{ text: 'Optionally sign the body: X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body with this secret>' }, { label: 'Secret', value: setup.secret }]),
      ]
  }
}

function secretLine(setup: WebhookSetup): SetupLine[] {
  return setup.secret === undefined ? [] : [{ label: 'Secret', value: setup.secret }]
}
