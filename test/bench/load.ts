/*
 * An HTTP load loop: one undici Pool with a fixed number of keep-alive connections, each kept busy
 * with one request at a time. It runs in the bench process, apart from the agent it loads.
 */
import { Pool } from 'undici'
import { round } from './figures.ts'

export interface LoadRequest {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
}

export interface LoadResult {
  requests: number
  seconds: number
  perSecond: number
  /** Answers by HTTP status; transport errors under "error". */
  statuses: Record<string, number>
}

export class LoadGenerator {
  readonly #pool: Pool
  readonly #connections: number

  constructor(origin: string, connections: number) {
    this.#pool = new Pool(origin, { connections, pipelining: 1 })
    this.#connections = connections
  }

  /** Sends `req` from every connection for `durationMs`; counts every answer, whatever its status. */
  async run(req: LoadRequest, durationMs: number): Promise<LoadResult> {
    const statuses: Record<string, number> = {}
    let requests = 0
    const start = performance.now()
    const end = start + durationMs
    const loop = async (): Promise<void> => {
      while (performance.now() < end) {
        let key: string
        try {
          const { statusCode, body } = await this.#pool.request({ method: req.method, path: req.path, headers: req.headers ?? {} })
          await body.dump()
          key = String(statusCode)
        } catch {
          key = 'error'
        }
        statuses[key] = (statuses[key] ?? 0) + 1
        requests++
      }
    }
    await Promise.all(Array.from({ length: this.#connections }, loop))
    const seconds = (performance.now() - start) / 1000
    return { requests, seconds: round(seconds), perSecond: round(requests / seconds, 1), statuses }
  }

  close(): Promise<void> {
    return this.#pool.close()
  }
}
