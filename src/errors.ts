import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * An expected failure with a stable `error` code for clients to switch on and a message for people.
 * Thrown from routes and middleware; the app's one error handler turns it into JSON.
 */
export class ApiError extends HTTPException {
  readonly code: string
  readonly headers: Record<string, string>

  constructor(status: ContentfulStatusCode, code: string, message: string, options: { headers?: Record<string, string>; cause?: unknown } = {}) {
    super(status, { message, cause: options.cause })
    this.code = code
    this.headers = options.headers ?? {}
  }
}

/** What went wrong, as one line for a log or a report: the message of an Error, else the value itself. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
