#!/usr/bin/env node
/*
 * `npm run bench [-- engine tokens …]`: runs each benchmark module in turn (or the named ones),
 * writes every figure with its target to bench-results.json (BENCH_OUT overrides the path) and
 * prints a table. A figure that misses its target is reported, not failed: the exit code is non-zero
 * only when a benchmark could not run at all.
 */
import { readdir, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EngineClient } from '../../agent/docker/engine.ts'
import { parseDockerHost } from '../../agent/docker/host.ts'
import { uniqueName } from '../support/docker.ts'
import { startRegistry } from '../support/registry.ts'
import { agentMemoryBench } from './agent-memory.ts'
import { deployBench } from './deploy.ts'
import { engineClientBench } from './engine-client.ts'
import type { BenchContext, BenchModule, Figure } from './figures.ts'
import { tokensBench } from './tokens.ts'
import { webhooksBench } from './webhooks.ts'

const MODULES: Record<string, BenchModule> = {
  engine: engineClientBench,
  memory: agentMemoryBench,
  tokens: tokensBench,
  deploy: deployBench,
  webhooks: webhooksBench,
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const outPath = resolve(process.env.BENCH_OUT || resolve(REPO_ROOT, 'bench-results.json'))

const unknown = process.argv.slice(2).filter((key) => !(key in MODULES))
if (unknown.length) {
  process.stderr.write(`bench: unknown module ${unknown.join(', ')}; choose from ${Object.keys(MODULES).join(', ')}\n`)
  process.exit(2)
}
const selected = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(MODULES)

const engine = new EngineClient(parseDockerHost({ dockerHost: process.env.DOCKER_HOST, tlsVerify: process.env.DOCKER_TLS_VERIFY, certPath: process.env.DOCKER_CERT_PATH }))
let engineInfo: { version: string; apiVersion: string }
try {
  const apiVersion = await engine.ping()
  engineInfo = { version: (await engine.version()).Version, apiVersion }
} catch (error) {
  process.stderr.write(`bench: the benchmarks need a Docker Engine (DOCKER_HOST, default unix:///var/run/docker.sock): ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
} finally {
  await engine.close()
}

const startedAt = new Date()
const registry = await startRegistry()
const ctx: BenchContext = {
  registry: registry.host,
  prefix: uniqueName('bench'),
  log: (line) => process.stdout.write(`  ${line}\n`),
}

const figures: (Figure & { area: string })[] = []
const errors: { area: string; message: string }[] = []
try {
  for (const key of selected) {
    const module = MODULES[key]!
    process.stdout.write(`${module.area}\n`)
    const started = performance.now()
    try {
      for (const f of await module.run(ctx)) figures.push({ area: module.area, ...f })
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      errors.push({ area: module.area, message })
      process.stdout.write(`  FAILED: ${message}\n`)
    }
    process.stdout.write(`  (${Math.round((performance.now() - started) / 1000)} s)\n`)
  }
} finally {
  await registry.stop()
  // Data dirs of agents or CLI runs that failed half-way (each module removes its own when it can).
  const leftovers = (await readdir(tmpdir())).filter((entry) => entry.startsWith(ctx.prefix))
  await Promise.all(leftovers.map((entry) => rm(join(tmpdir(), entry), { recursive: true, force: true })))
}

const results = {
  date: startedAt.toISOString(),
  durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
  machine: {
    node: process.version,
    engine: engineInfo,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
  },
  figures,
  errors,
}
await writeFile(outPath, `${JSON.stringify(results, null, 2)}\n`)
process.stdout.write(`\n${table(figures)}\nwritten to ${outPath}\n`)
if (errors.length) {
  process.stdout.write(`${errors.length} benchmark module(s) failed: ${errors.map((e) => e.area).join('; ')}\n`)
  process.exitCode = 1
}

function table(rows: readonly Figure[]): string {
  const cells = rows.map((f) => [
    f.name,
    f.value === null ? 'not measured' : `${f.value} ${f.unit}`,
    `${f.target.op === '>=' ? '≥' : '≤'} ${f.target.value}`,
    f.value === null ? '-' : f.met ? 'met' : 'MISSED',
  ])
  const header = ['figure', 'value', 'target', '']
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)))
  const line = (row: readonly string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')
}
