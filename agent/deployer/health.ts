import type { EngineClient } from '../docker/engine.ts'
import type { ContainerInspect } from '../docker/types.ts'

export interface HealthGate {
  /** How long a container without a healthcheck must keep running; 0 = running is enough. */
  stableMs: number
  /** How long to wait for "healthy" (or for the stability window to pass) before giving up. */
  timeoutMs: number
  /** How often the container is inspected. */
  pollMs?: number
}

export type HealthVerdict = { ok: true; detail: string } | { ok: false; reason: string }

const DEFAULT_POLL_MS = 200

function hasHealthcheck(container: ContainerInspect): boolean {
  const test = container.Config.Healthcheck?.Test
  return Boolean(container.State.Health) && !(test?.[0] === 'NONE')
}

function exitReason(container: ContainerInspect): string {
  const code = container.State.ExitCode ?? 'unknown'
  return `the container exited with code ${code}${container.State.Error ? ` (${container.State.Error})` : ''}`
}

/**
 * Waits until a started container counts as up: "healthy" when it has a healthcheck (failing on
 * "unhealthy"), otherwise running and not restarting, with the same start time and restart count,
 * for the whole stability window (compose's fallback when a service has no healthcheck).
 */
export async function waitUntilUp(engine: EngineClient, id: string, gate: HealthGate, sleep = defaultSleep): Promise<HealthVerdict> {
  const started = Date.now()
  let stableSince: number | undefined
  let lastStart: string | undefined
  let lastRestarts: number | undefined
  for (;;) {
    const container = await engine.inspectContainer(id)
    if (!container) return { ok: false, reason: 'the container disappeared' }
    const state = container.State
    const elapsed = Date.now() - started
    if (!state.Running && !state.Restarting) return { ok: false, reason: exitReason(container) }
    if (hasHealthcheck(container)) {
      const health = state.Health?.Status
      if (health === 'healthy') return { ok: true, detail: 'healthy' }
      if (health === 'unhealthy') return { ok: false, reason: 'the container turned unhealthy' }
      if (elapsed >= gate.timeoutMs) return { ok: false, reason: `not healthy after ${Math.round(gate.timeoutMs / 1000)} s (health: ${health ?? 'unknown'})` }
    } else {
      const steady = state.Running && !state.Restarting && state.StartedAt === lastStart && container.RestartCount === lastRestarts
      if (!steady) stableSince = state.Running && !state.Restarting ? Date.now() : undefined
      lastStart = state.StartedAt ?? undefined
      lastRestarts = container.RestartCount ?? undefined
      if (stableSince !== undefined && Date.now() - stableSince >= gate.stableMs) {
        return { ok: true, detail: gate.stableMs > 0 ? `running for ${Math.round(gate.stableMs / 100) / 10} s` : 'running' }
      }
      if (elapsed >= gate.timeoutMs) return { ok: false, reason: state.Restarting ? 'the container keeps restarting' : `not stable within ${Math.round(gate.timeoutMs / 1000)} s` }
    }
    await sleep(gate.pollMs ?? DEFAULT_POLL_MS)
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
