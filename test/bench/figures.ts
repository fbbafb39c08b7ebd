/*
 * What every benchmark module returns, and the arithmetic they share. Figures are ratios or sizes
 * measured within one run, so a slow or busy machine moves both sides of a ratio alike.
 */
import { readFile } from 'node:fs/promises'

export interface Target {
  op: '>=' | '<='
  value: number
}

export interface Figure {
  name: string
  /** null when the figure could not be measured (the reason is in `details.notMeasured`). */
  value: number | null
  unit: string
  target: Target
  met: boolean
  details: Record<string, unknown>
}

/** What the runner hands every module: the shared registry and the run's name prefix. */
export interface BenchContext {
  /** `127.0.0.1:PORT` of a plain registry started for this run. */
  registry: string
  /** Every container, image repository and temp dir of this run starts with it (cleanup by prefix). */
  prefix: string
  /** Progress lines for the terminal; never figures (those come back as the module's result). */
  log(line: string): void
}

export interface BenchModule {
  /** The issue it measures, e.g. "engine client (issue 2)". */
  area: string
  run(ctx: BenchContext): Promise<Figure[]>
}

export function figure(name: string, value: number | null, unit: string, target: Target, details: Record<string, unknown> = {}): Figure {
  const met = value !== null && Number.isFinite(value) && (target.op === '>=' ? value >= target.value : value <= target.value)
  return { name, value: value === null ? null : round(value), unit, target, met, details }
}

/** A figure that could not be measured: reported, never silently dropped. */
export function notMeasured(name: string, unit: string, target: Target, reason: string): Figure {
  return figure(name, null, unit, target, { notMeasured: reason })
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function round(value: number, digits = 3): number {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}

/** Resident memory of a process in MiB, from /proc (Linux). */
export async function residentMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1]
  if (!kib) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(kib) / 1024
}

/** CPU time (user + system, all threads) a process has used so far, in µs, from /proc (Linux). */
export async function cpuMicros(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * (1e6 / CLOCK_TICKS_PER_SECOND)
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100

export interface RateResult {
  operations: number
  seconds: number
  perSecond: number
  /** CPU time of this process per operation, µs: steadier than the rate on a busy machine. */
  cpuMicrosPerOp: number
}

/**
 * Runs `operation` from `concurrency` loops for `durationMs` and counts completions. Every loop
 * finishes the call it started, so the count covers the whole measured time and nothing more.
 */
export async function rate(operation: () => Promise<unknown>, concurrency: number, durationMs: number): Promise<RateResult> {
  let operations = 0
  const cpu = process.cpuUsage()
  const start = performance.now()
  const end = start + durationMs
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      await operation()
      operations++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  const seconds = (performance.now() - start) / 1000
  const { user, system } = process.cpuUsage(cpu)
  return { operations, seconds: round(seconds), perSecond: round(operations / seconds, 1), cpuMicrosPerOp: round((user + system) / operations, 1) }
}

/** Samples `read` every `intervalMs` until stopped; resolves the largest value seen. */
export function sampleMax(read: () => Promise<number>, intervalMs: number): { stop(): Promise<number> } {
  let max = 0
  let stopped = false
  const done = (async () => {
    while (!stopped) {
      max = Math.max(max, await read().catch(() => 0))
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  })()
  return {
    async stop() {
      stopped = true
      await done
      return max
    },
  }
}
