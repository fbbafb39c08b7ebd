import { describe, expect, it } from 'vitest'
import { parseCommand } from '../../../agent/cli/commands.ts'
import { UsageError } from '../../../agent/cli/context.ts'

const create = (...args: string[]) => parseCommand(['token', 'create', ...args])

function usageError(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as Error).message
  }
  throw new Error('expected a UsageError')
}

describe('parseCommand', () => {
  it('opens the menu without arguments and shows help for help, --help and -h', () => {
    expect(parseCommand([])).toEqual({ name: 'menu' })
    expect(parseCommand(['help'])).toEqual({ name: 'help' })
    expect(parseCommand(['--help'])).toEqual({ name: 'help' })
    expect(parseCommand(['token', 'create', '-h'])).toEqual({ name: 'help' })
  })

  it('reads token create with every option', () => {
    expect(create('--container', 'web', '--container', '/api', '--container', 'web', '--action', 'pull-recreate', '--no-cleanup', '--expires', '12h', '--hook', 'github', '--ref', 'release', '--json')).toEqual({
      name: 'token create',
      options: {
        containerNames: ['web', 'api'],
        action: 'pull-recreate',
        cleanup: false,
        expiresIn: 12 * 3600,
        hook: { provider: 'github', ref: 'refs/heads/release' },
        json: true,
      },
    })
  })

  it('defaults: cleanup on for pull-recreate only, 30 days, refs/heads/main for git hooks, no ref for registries', () => {
    expect(create('--container', 'web', '--action', 'pull-recreate')).toMatchObject({ options: { cleanup: true, expiresIn: 30 * 86_400, hook: undefined, json: false } })
    expect(create('--container', 'web', '--action', 'restart')).toMatchObject({ options: { cleanup: false } })
    expect(create('--container', 'web', '--action', 'recreate', '--hook', 'gitlab')).toMatchObject({ options: { hook: { provider: 'gitlab', ref: 'refs/heads/main' } } })
    expect(create('--container', 'web', '--action', 'recreate', '--hook', 'harbor')).toMatchObject({ options: { hook: { provider: 'harbor' } } })
    expect(create('--container', 'web', '--action', 'recreate', '--hook', 'gitea', '--ref', 'refs/tags/v1')).toMatchObject({ options: { hook: { ref: 'refs/tags/v1' } } })
  })

  it.each([
    [['--container', 'web', '--action', 'restart', '--colour'], /Unknown option '--colour'/],
    [['--action', 'restart'], /--container is required/],
    [['--container', 'web'], /--action is required/],
    [['--container', 'web', '--action', 'deploy'], /--action must be one of pull-recreate, recreate, restart/],
    [['--container', 'we b', '--action', 'restart'], /not a valid container name/],
    [['--container', 'web', '--action', 'restart', '--cleanup'], /--cleanup only applies to --action pull-recreate/],
    [['--container', 'web', '--action', 'restart', '--hook', 'bitbucket'], /--hook must be one of/],
    [['--container', 'web', '--action', 'restart', '--hook', 'quay', '--ref', 'main'], /--ref only applies to --hook github, gitlab or gitea/],
    [['--container', 'web', '--action', 'restart', '--ref', 'main'], /--ref only applies/],
    [['--container', 'web', '--action', 'restart', 'extra'], /too many arguments/],
    [['--container', 'web', '--action', 'restart', '--expires', 'soon'], /--expires: "soon" is not a duration/],
    [['--container', 'web', '--action', 'restart', '--expires', '0d'], /--expires: .*longer than zero/],
    [['--container'], /argument missing/],
  ])('refuses token create %j', (args, message) => {
    expect(usageError(() => create(...args))).toMatch(message)
  })

  it('takes never as a lifetime', () => {
    expect(create('--container', 'web', '--action', 'restart', '--expires', 'never')).toMatchObject({ options: { expiresIn: 'never' } })
  })

  it('reads the other commands and their arguments', () => {
    expect(parseCommand(['token', 'inspect', 'v4.public.x', '--json'])).toEqual({ name: 'token inspect', token: 'v4.public.x', json: true })
    expect(parseCommand(['token', 'revoke', 'abc'])).toEqual({ name: 'token revoke', tokenOrJti: 'abc' })
    expect(parseCommand(['key', 'show'])).toEqual({ name: 'key show', json: false })
    expect(parseCommand(['key', 'rotate'])).toEqual({ name: 'key rotate' })
    expect(parseCommand(['key', 'retire', 'k4.pid.x'])).toEqual({ name: 'key retire', kid: 'k4.pid.x' })
    expect(parseCommand(['key', 'import', './key.pem'])).toEqual({ name: 'key import', file: './key.pem' })
    expect(parseCommand(['registry', 'add', 'ghcr.io', '--username', 'me', '--password-stdin'])).toEqual({ name: 'registry add', host: 'ghcr.io', username: 'me' })
    expect(parseCommand(['registry', 'list', '--json'])).toEqual({ name: 'registry list', json: true })
    expect(parseCommand(['registry', 'remove', 'ghcr.io'])).toEqual({ name: 'registry remove', host: 'ghcr.io' })
  })

  it.each([
    [['deploy'], /unknown command: deploy/],
    [['token'], /unknown command: token/],
    [['token', 'mint'], /unknown command: token mint/],
    [['token', 'revoke'], /missing TOKEN\|JTI/],
    [['key', 'rotate', '--force'], /Unknown option '--force'/],
    [['registry', 'add', 'ghcr.io', '--username', 'me'], /--password-stdin is required/],
    [['registry', 'add', 'ghcr.io', '--password-stdin'], /--username is required/],
    [['registry', 'add', 'ghcr.io', '--username', 'me', '--password', 'hunter2'], /Unknown option '--password'/],
  ])('refuses %j', (args, message) => {
    expect(usageError(() => parseCommand(args))).toMatch(message)
  })

  it('never repeats a value given to an unknown flag', () => {
    expect(usageError(() => parseCommand(['registry', 'add', 'h', '--username', 'me', '--password=hunter2']))).not.toContain('hunter2')
  })
})
