import type { EngineClient } from '../docker/engine.ts'

/** Where a command writes: `out` for results (stdout), `err` for warnings and failures (stderr). */
export interface Output {
  out(text: string): void
  err(text: string): void
}

/** What every command needs from its surroundings; tests build one with a temp data dir and a buffer. */
export interface CliContext {
  dataDir: string
  /** The instance's public URL (env URL), used in every snippet. */
  publicUrl: string
  engine: EngineClient
  output: Output
  now: () => Date
  /** All of stdin, for `--password-stdin`. */
  readStdin: () => Promise<string>
}

/** Process exit codes of the CLI. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const

/** A wrong command line: the entry prints the message and the usage text and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** An expected failure whose message is safe to show as is (no token, no password); exit 1. */
export class CliFailure extends Error {
  override name = 'CliFailure'
}

const TOKEN_PATTERN = /v[1-4]\.(?:public|local)\.[A-Za-z0-9_.-]+/g

/** Last line of defence for anything printed from an error: a PASETO token never reaches the terminal. */
export function redactTokens(text: string): string {
  return text.replace(TOKEN_PATTERN, '[token]')
}
