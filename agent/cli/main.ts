#!/usr/bin/env node
// The CLI's entry: read the command line and the environment, build the objects, run one command,
// turn the outcome into an exit code. Commands live in token.ts, key.ts, registry.ts and menu.ts.
import { text } from 'node:stream/consumers'
import { ConfigError, loadConfig } from '../config.ts'
import { EngineClient } from '../docker/engine.ts'
import { isEngineError } from '../docker/errors.ts'
import { ownContainerMatcher, readOwnContainerSources } from '../docker/own-container.ts'
import { KeyRingError } from '../store/keys.ts'
import { RegistryAuthError } from '../store/registry-auth.ts'
import { RevocationsError } from '../store/revocations.ts'
import { USAGE, parseCommand, type Command } from './commands.ts'
import { CliFailure, EXIT, UsageError, redactTokens, type CliContext } from './context.ts'
import { keyImport, keyRetire, keyRotate, keyShow } from './key.ts'
import { registryAdd, registryList, registryRemove } from './registry.ts'
import { tokenCreate, tokenInspect, tokenRevoke } from './token.ts'

const fail = (message: string) => process.stderr.write(`dockhook: ${redactTokens(message)}\n`)

// Outside a prompt (waiting for the Engine or a registry) Ctrl-C arrives as a signal.
process.once('SIGINT', () => {
  process.stderr.write('\n')
  process.exit(EXIT.interrupted)
})

let command: Command
try {
  command = parseCommand(process.argv.slice(2))
  if (command.name === 'menu' && !(process.stdin.isTTY && process.stdout.isTTY)) {
    throw new UsageError('no command given, and the menu needs a terminal')
  }
} catch (error) {
  if (!(error instanceof UsageError)) throw error
  fail(error.message)
  process.stderr.write(`\n${USAGE}`)
  process.exit(EXIT.usage)
}
if (command.name === 'help') {
  process.stdout.write(USAGE)
  process.exit(EXIT.ok)
}

let config
try {
  config = loadConfig(process.env)
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  fail(error.message)
  process.exit(EXIT.usage)
}

// A CLI waits for a person: give up on an absent Engine quickly rather than after a minute.
const engine = new EngineClient(config.engine, { connectTimeoutMs: 3_000, requestTimeoutMs: 15_000 })
const ctx: CliContext = {
  dataDir: config.dataDir,
  publicUrl: config.publicUrl,
  engine,
  output: { out: (chunk) => process.stdout.write(chunk), err: (chunk) => process.stderr.write(chunk) },
  now: () => new Date(),
  readStdin: () => text(process.stdin),
}

let exitCode: number = EXIT.ok
try {
  await run(command, ctx)
} catch (error) {
  exitCode = exitCodeFor(error)
} finally {
  await engine.close().catch(() => {})
}
process.exit(exitCode)

async function run(command: Exclude<Command, { name: 'help' }>, ctx: CliContext): Promise<void> {
  switch (command.name) {
    case 'menu': {
      // Loaded only for the menu: the prompts are not needed by scripts.
      const { runMenu } = await import('./menu.ts')
      return runMenu(ctx, ownContainerMatcher(await readOwnContainerSources()))
    }
    case 'token create':
      return tokenCreate(ctx, command.options)
    case 'token inspect':
      return tokenInspect(ctx, command.token, command.json)
    case 'token revoke':
      return tokenRevoke(ctx, command.tokenOrJti)
    case 'key show':
      return keyShow(ctx, command.json)
    case 'key rotate':
      return keyRotate(ctx)
    case 'key retire':
      return keyRetire(ctx, command.kid)
    case 'key import':
      return keyImport(ctx, command.file)
    case 'registry add':
      return registryAdd(ctx, command.host, command.username)
    case 'registry list':
      return registryList(ctx, command.json)
    case 'registry remove':
      return registryRemove(ctx, command.host)
  }
}

function exitCodeFor(error: unknown): number {
  // @inquirer/prompts rejects with ExitPromptError when Ctrl-C is pressed inside a prompt.
  if (error instanceof Error && error.name === 'ExitPromptError') {
    process.stderr.write('\n')
    return EXIT.interrupted
  }
  if (error instanceof UsageError) {
    fail(error.message)
    return EXIT.usage
  }
  // The stores' own errors are expected failures too, with messages written for a person.
  if (error instanceof CliFailure || error instanceof KeyRingError || error instanceof RevocationsError || error instanceof RegistryAuthError) {
    fail(error.message)
    return EXIT.failure
  }
  if (isEngineError(error)) {
    fail(`the Docker Engine is needed for this and ${error.code === 'unreachable' ? 'is not reachable' : 'failed'}: ${error.engineMessage}`)
    return EXIT.failure
  }
  // Unexpected: say what it was in one line; a stack trace helps nobody at a terminal.
  fail(`unexpected error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
  return EXIT.failure
}
