/*
 * The ports the app is built with. src/ only knows these shapes; agent/ (Node) and the edge entry
 * (workerd) implement them for their runtime.
 */

/** Whether the thing that does the deploying (an Engine, or an agent behind the edge) answers. */
export type EngineStatus = { ok: true; detail: string } | { ok: false; reason: string }

export interface EngineHealth {
  check(): Promise<EngineStatus>
}

export type LogFields = Record<string, string | number | boolean | undefined>

/** Where the app writes what happened. Implementations must never be handed a token or a secret. */
export interface Logger {
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} }
