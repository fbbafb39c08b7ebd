/**
 * Typed failures of the Engine client. Callers switch on `code`:
 * - `unreachable`: no connection (daemon stopped, wrong socket path, refused, timed out);
 * - `not-an-engine`: something answered, but not a Docker Engine (no `Api-Version` header);
 * - `unsupported-version`: the Engine's API is older than dockhook supports;
 * - `status`: the Engine answered with a status the call does not accept;
 * - `stream`: an error line inside a 200 stream (image pull);
 * - `protocol`: the Engine's answer could not be understood.
 */
export type EngineErrorCode = 'unreachable' | 'not-an-engine' | 'unsupported-version' | 'status' | 'stream' | 'protocol'

export interface EngineErrorDetails {
  method?: string
  path?: string
  status?: number
  cause?: unknown
}

export class EngineError extends Error {
  override name = 'EngineError'
  readonly code: EngineErrorCode
  readonly method: string | undefined
  readonly path: string | undefined
  /** HTTP status of the Engine's answer, when there was one. */
  readonly status: number | undefined
  /** The Engine's own message (`{"message": …}`), or the transport's. */
  readonly engineMessage: string

  constructor(code: EngineErrorCode, engineMessage: string, details: EngineErrorDetails = {}) {
    const where = details.method && details.path ? `${details.method} ${details.path}: ` : ''
    const status = details.status ? `${details.status} ` : ''
    super(`${where}${status}${engineMessage}`, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    this.method = details.method
    this.path = details.path
    this.status = details.status
    this.engineMessage = engineMessage
  }

  /** 404: no such container, image, network … */
  get isNotFound(): boolean {
    return this.code === 'status' && this.status === 404
  }

  /** 409: name in use, image in use, container not running … */
  get isConflict(): boolean {
    return this.code === 'status' && this.status === 409
  }
}

export function isEngineError(error: unknown, code?: EngineErrorCode): error is EngineError {
  return error instanceof EngineError && (code === undefined || error.code === code)
}
