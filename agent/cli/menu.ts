import { checkbox, confirm, input, password, select } from '@inquirer/prompts'
import { DEFAULT_HOOK_REF, PROVIDER_TITLES, isGitProvider } from '../../src/snippets.ts'
import { DEPLOY_ACTIONS, type DeployAction, type HookProvider } from '../../src/tokens/claims.ts'
import { parseDuration } from '../../src/tokens/duration.ts'
import { DEFAULT_EXPIRY, normalizeRef } from './commands.ts'
import { deployableContainers } from './containers.ts'
import { CliFailure, type CliContext } from './context.ts'
import { keyRotate, keyShow } from './key.ts'
import { registryHost, saveRegistryLogin } from './registry.ts'
import { describeAction, tokenText } from './snippets.ts'
import { generateToken, tokenRevoke } from './token.ts'

/** The one registry people mean when they say "Docker Hub". */
const DOCKER_HUB = 'docker.io'

type MenuChoice = 'generate' | 'revoke' | 'registry' | 'show-key' | 'rotate-key' | 'exit'
type TokenUse = 'ci' | Exclude<HookProvider, 'generic'>

const USES: { value: TokenUse; name: string }[] = [
  { value: 'ci', name: 'curl from CI (GitHub Actions, GitLab CI, any shell)' },
  { value: 'github', name: 'GitHub webhook' },
  { value: 'gitlab', name: 'GitLab webhook' },
  { value: 'gitea', name: 'Gitea / Forgejo webhook' },
  { value: 'dockerhub', name: 'Docker Hub webhook' },
  { value: 'harbor', name: 'Harbor webhook' },
  { value: 'quay', name: 'Quay notification' },
  { value: 'distribution', name: 'Registry notifications (registry:2/3, CNCF distribution)' },
]

/**
 * The interactive menu: one action after another until Exit. Failures a person can fix (a refused
 * login, an unknown jti) are shown and the menu comes back; an unreachable Engine ends the program.
 */
export async function runMenu(ctx: CliContext, isOwnContainer: (id: string) => boolean): Promise<void> {
  for (;;) {
    const choice = await select<MenuChoice>({
      message: 'dockhook — what do you want to do?',
      choices: [
        { value: 'generate', name: 'Generate a deploy token' },
        { value: 'revoke', name: 'Revoke a deploy token' },
        { value: 'registry', name: 'Add registry login data' },
        { value: 'show-key', name: 'Show public key' },
        { value: 'rotate-key', name: 'Rotate key' },
        { value: 'exit', name: 'Exit' },
      ],
    })
    if (choice === 'exit') return
    try {
      await ACTIONS[choice](ctx, isOwnContainer)
    } catch (error) {
      if (!(error instanceof CliFailure)) throw error
      ctx.output.err(`error: ${error.message}\n`)
    }
    ctx.output.out('\n')
  }
}

const ACTIONS: Record<Exclude<MenuChoice, 'exit'>, (ctx: CliContext, isOwnContainer: (id: string) => boolean) => Promise<void>> = {
  generate: generate,
  revoke: async (ctx) => {
    const value = await password({ message: 'Token or jti to revoke:', mask: '*', validate: (text) => text.trim().length > 0 || 'paste the token or its jti' })
    await tokenRevoke(ctx, value)
  },
  registry: registryLogin,
  'show-key': (ctx) => keyShow(ctx, false),
  'rotate-key': async (ctx) => {
    const sure = await confirm({ message: 'Make a new signing key? Tokens of the current key keep working until you retire it.', default: true })
    if (sure) await keyRotate(ctx)
  },
}

async function generate(ctx: CliContext, isOwnContainer: (id: string) => boolean): Promise<void> {
  const containers = await deployableContainers(ctx.engine, isOwnContainer)
  if (containers.length === 0) throw new CliFailure('there are no containers on this Docker host to deploy')
  const nameWidth = Math.max(...containers.map((c) => c.name.length))
  const imageWidth = Math.max(...containers.map((c) => c.image.length))
  const containerNames = await checkbox({
    message: 'Which containers may this token deploy?',
    choices: containers.map((c) => ({ value: c.name, name: `${c.name.padEnd(nameWidth)}  ${c.image.padEnd(imageWidth)}  (${c.state})`, short: c.name })),
    required: true,
    pageSize: 15,
  })

  const expires = await confirm({ message: 'Should the token expire?', default: true })
  const expiresIn = expires
    ? parseDurationOrThrow(
        await input({
          message: 'Expires after (e.g. 30d, 12h, 1y):',
          default: DEFAULT_EXPIRY,
          validate: (text) => {
            const parsed = parseDuration(text)
            return parsed.ok || parsed.message
          },
        }),
      )
    : 'never'

  const action = await select<DeployAction>({
    message: 'What should a deploy do?',
    choices: DEPLOY_ACTIONS.map((value) => ({ value, name: `${describeAction(value, false)} (${value})` })),
  })
  const cleanup = action === 'pull-recreate' && (await confirm({ message: 'Remove the replaced image after a successful update (only if no other container uses it)?', default: true }))

  const use = await select<TokenUse>({ message: 'How will the token be used?', choices: USES, pageSize: USES.length })
  const provider = use === 'ci' ? undefined : use
  const ref =
    provider && isGitProvider(provider)
      ? normalizeRef(await input({ message: `Deploy for pushes to which ref (${PROVIDER_TITLES[provider]})?`, default: DEFAULT_HOOK_REF, validate: (text) => text.trim().length > 0 || 'a ref, e.g. refs/heads/main or refs/tags/v*' }))
      : undefined

  const minted = await generateToken(ctx, { containerNames, action, cleanup, expiresIn, hook: provider ? { provider, ref } : undefined })
  ctx.output.out(`\n${tokenText(minted, ctx.publicUrl, ctx.now())}`)
}

function parseDurationOrThrow(text: string): number | 'never' {
  const parsed = parseDuration(text)
  if (!parsed.ok) throw new CliFailure(parsed.message)
  return parsed.seconds
}

async function registryLogin(ctx: CliContext): Promise<void> {
  const where = await select<'hub' | 'other'>({
    message: 'Which registry?',
    choices: [
      { value: 'hub', name: 'Docker Hub' },
      { value: 'other', name: 'Another registry' },
    ],
  })
  const host =
    where === 'hub'
      ? DOCKER_HUB
      : await input({
          message: 'Registry host or URL (e.g. ghcr.io, registry.example.com:5000):',
          validate: (text) => {
            const parsed = registryHost(text)
            return parsed.ok || parsed.message
          },
        })
  const username = await input({ message: 'Username:', required: true })
  const secret = await password({ message: 'Password or access token:', mask: '*', validate: (text) => text.length > 0 || 'the password is empty' })
  await saveRegistryLogin(ctx, host, { username: username.trim(), password: secret })
}
