/*
 * The generator's answer: the token and exactly what to paste where, as terminal text or as one
 * JSON object. The provider and CI snippets themselves come from src/snippets.ts (shared with the
 * index page); this file only lays them out for the CLI.
 */
import {
  CI_SECRET_PLACES,
  PROVIDER_TITLES,
  curlCommand,
  deployUrl,
  githubActionsStep,
  gitlabCiJob,
  webhookInstructions,
  type WebhookSetup,
} from '../../src/snippets.ts'
import type { DeployAction, DeployClaims } from '../../src/tokens/claims.ts'

/** A token just minted, and for a webhook token where it goes. */
export interface MintedToken {
  token: string
  claims: DeployClaims
  /** Present for a token bound to a webhook provider. */
  webhook?: WebhookSetup | undefined
}

const ACTION_TEXT: Record<DeployAction, string> = {
  'pull-recreate': 'pull the image and recreate',
  recreate: 'recreate',
  restart: 'restart',
}

/** How people read an action, e.g. in the menu. */
export function describeAction(action: DeployAction, cleanup: boolean): string {
  return ACTION_TEXT[action] + (action === 'pull-recreate' && cleanup ? ', then remove the replaced image' : '')
}

/** `2026-01-01T00:00:00.000Z (in 30 days)` or `never`. */
export function describeExpiry(exp: string | undefined, now: Date): string {
  if (exp === undefined) return 'never'
  const seconds = Math.round((Date.parse(exp) - now.getTime()) / 1000)
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ]
  const [size, unit] = units.find(([size]) => Math.abs(seconds) >= size) ?? [1, 'second']
  const count = Math.round(seconds / size)
  const span = `${Math.abs(count)} ${unit}${Math.abs(count) === 1 ? '' : 's'}`
  return `${exp} (${count >= 0 ? `in ${span}` : `${span} ago`})`
}

function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((line) => (line ? by + line : line))
    .join('\n')
}

/**
 * The terminal text printed after a token is made: the token, what it allows, then the curl line and
 * CI snippets, or the provider's settings field by field.
 */
export function tokenText(minted: MintedToken, instanceUrl: string, now: Date): string {
  const { token, claims, webhook } = minted
  const lines = [
    'Deploy token (shown once; keep it secret — it deploys without further questions):',
    '',
    token,
    '',
    `  containers: ${claims.containerNames.join(', ')}`,
    `  action:     ${describeAction(claims.action, claims.cleanup)}`,
    `  expires:    ${describeExpiry(claims.exp, now)}`,
    `  jti:        ${claims.jti}   (revoke with: dockhook token revoke ${claims.jti})`,
  ]
  if (claims.hook) {
    const filters = [claims.hook.ref && `ref ${claims.hook.ref}`, claims.hook.tag && `tag ${claims.hook.tag}`, claims.hook.event && `event ${claims.hook.event}`].filter(Boolean)
    lines.push(`  webhook:    ${PROVIDER_TITLES[claims.hook.provider]} only${filters.length ? `, ${filters.join(', ')}` : ''}`)
  }
  lines.push('')
  if (webhook) {
    lines.push(`Where it goes — ${PROVIDER_TITLES[webhook.provider]}:`, '')
    const setup = webhookInstructions(webhook)
    const width = Math.max(...setup.map((line) => ('label' in line ? line.label.length + 1 : 0)))
    for (const line of setup) {
      if ('text' in line) lines.push(`  ${line.text}`)
      else if (line.value.includes('\n')) lines.push(`  ${line.label}:`, indent(line.value), '')
      else lines.push(`  ${`${line.label}:`.padEnd(width)}  ${line.value}`)
    }
    if (webhook.secret !== undefined) lines.push('', '  The secret lets dockhook check that each delivery really comes from the provider.')
  } else {
    lines.push(
      'Deploy from anywhere:',
      '',
      indent(curlCommand(instanceUrl, token), '  '),
      '',
      `GitHub Actions — store the token as a secret (${CI_SECRET_PLACES.github}), then add this step:`,
      '',
      githubActionsStep(instanceUrl),
      '',
      `GitLab CI — store the token as a variable (${CI_SECRET_PLACES.gitlab}), then add this job:`,
      '',
      indent(gitlabCiJob(instanceUrl), '  '),
    )
  }
  return `${lines.join('\n')}\n`
}

/** The one JSON object `token create --json` prints. */
export function tokenJson(minted: MintedToken, instanceUrl: string): Record<string, unknown> {
  const { token, claims, webhook } = minted
  return {
    token,
    jti: claims.jti,
    containerNames: claims.containerNames,
    action: claims.action,
    cleanup: claims.cleanup,
    issuedAt: claims.iat,
    expires: claims.exp ?? null,
    ...(webhook
      ? {
          provider: webhook.provider,
          url: webhook.url,
          ...(webhook.header ? { header: webhook.header } : {}),
          ...(webhook.secret !== undefined ? { secret: webhook.secret } : {}),
          ...(webhook.signingToken !== undefined ? { signingToken: webhook.signingToken } : {}),
          ...(claims.hook?.ref ? { ref: claims.hook.ref } : {}),
        }
      : { url: deployUrl(instanceUrl), curl: curlCommand(instanceUrl, token) }),
  }
}
