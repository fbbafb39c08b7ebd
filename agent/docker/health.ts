import type { EngineHealth, EngineStatus } from '../../src/ports.ts'
import type { EngineClient } from './engine.ts'
import { isEngineError } from './errors.ts'

/** The /healthz port for a host: the Engine is healthy when it answers a ping. */
export function engineHealth(engine: EngineClient): EngineHealth {
  return {
    async check(): Promise<EngineStatus> {
      try {
        const version = await engine.ping()
        return { ok: true, detail: `Docker Engine API ${version}` }
      } catch (error) {
        return { ok: false, reason: isEngineError(error) ? error.engineMessage : 'the Docker Engine check failed' }
      }
    },
  }
}
