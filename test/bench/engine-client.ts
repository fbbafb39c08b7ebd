/*
 * Issue 2: what EngineClient costs on top of the HTTP request it makes. Container inspects per second
 * through `inspectContainer` against a bare undici `request()` loop on the same socket and path that
 * reads the whole body, interleaved in rounds (each round starts with another loop) so that drift in
 * the Engine's speed hits all alike. A third loop, bare + JSON.parse, and the CPU time per call of
 * each show where a gap comes from: parsing, validation, or the client itself.
 */
import { Agent, request } from 'undici'
import { EngineClient } from '../../agent/docker/engine.ts'
import { parseDockerHost, type EngineEndpoint } from '../../agent/docker/host.ts'
import { ContainerInspectSchema } from '../../agent/docker/types.ts'
import { docker, importBusyboxImage } from '../support/docker.ts'
import { figure, median, rate, round, type BenchContext, type BenchModule, type Figure, type RateResult } from './figures.ts'

const CONCURRENCIES = [1, 8] as const
const ROUNDS = 3
const RUN_MS = 1_500
const WARMUP_MS = 300
const TARGET = { op: '>=', value: 0.9 } as const
/** Iterations of the in-process breakdown (JSON.parse and zod on one real inspect answer). */
const BREAKDOWN_ITERATIONS = 5_000

export const engineClientBench: BenchModule = {
  area: 'engine client overhead (issue 2)',
  async run(ctx) {
    const endpoint = parseDockerHost({ dockerHost: process.env.DOCKER_HOST, tlsVerify: process.env.DOCKER_TLS_VERIFY, certPath: process.env.DOCKER_CERT_PATH })
    const ref = `${ctx.prefix}-inspect:latest`
    const name = `${ctx.prefix}-inspect`
    const imageId = await importBusyboxImage(ref)
    const client = new EngineClient(endpoint)
    const bare = bareDispatcher(endpoint)
    try {
      // A running container: its inspect carries networks and state, as in a deploy.
      await docker(['run', '-d', '--name', name, ref])
      const path = `/v${await client.apiVersion()}/containers/${encodeURIComponent(name)}/json`
      const origin = endpoint.kind === 'unix' ? 'http://localhost' : endpoint.origin
      const viaClient = async () => {
        if (!(await client.inspectContainer(name))) throw new Error(`container ${name} vanished`)
      }
      const viaBare = async () => {
        const { statusCode, body } = await request(origin + path, { dispatcher: bare })
        await body.text()
        if (statusCode !== 200) throw new Error(`bare inspect answered ${statusCode}`)
      }

      // Any client that returns an object parses JSON: this third loop shows what is left beyond that.
      const viaBareParse = async () => {
        const { body } = await request(origin + path, { dispatcher: bare })
        JSON.parse(await body.text())
      }
      const loops = { client: viaClient, bare: viaBare, bareJsonParse: viaBareParse }
      type Loop = keyof typeof loops
      const order = Object.keys(loops) as Loop[]

      const figures: Figure[] = []
      for (const concurrency of CONCURRENCIES) {
        for (const loop of order) await rate(loops[loop], concurrency, WARMUP_MS)
        const rounds: Record<Loop, RateResult>[] = []
        for (let round = 0; round < ROUNDS; round++) {
          // Each round starts with a different loop, so a trend in the Engine's speed favours none.
          const results: Partial<Record<Loop, RateResult>> = {}
          for (const loop of [...order.slice(round % order.length), ...order.slice(0, round % order.length)]) {
            results[loop] = await rate(loops[loop], concurrency, RUN_MS)
          }
          rounds.push(results as Record<Loop, RateResult>)
        }
        const ratios = rounds.map((r) => r.client.perSecond / r.bare.perSecond)
        const ratio = median(ratios)
        ctx.log(`inspect, ${concurrency} in flight: client/bare = ${round(ratio)}`)
        const perLoop = (pick: (r: RateResult) => number) => Object.fromEntries(order.map((loop) => [loop, rounds.map((r) => pick(r[loop]))]))
        figures.push(
          figure(`engine client inspect rate / bare undici (${concurrency} in flight)`, ratio, 'ratio', TARGET, {
            concurrency,
            roundMs: RUN_MS,
            perSecond: perLoop((r) => r.perSecond),
            ratios: ratios.map((r) => round(r)),
            clientVsBareJsonParse: round(median(rounds.map((r) => r.client.perSecond / r.bareJsonParse.perSecond))),
            cpuMicrosPerOp: Object.fromEntries(order.map((loop) => [loop, median(rounds.map((r) => r[loop].cpuMicrosPerOp))])),
          }),
        )
      }
      const breakdown = await parseBreakdown(origin + path, bare)
      for (const f of figures) f.details['perCallCpu'] = breakdown
      return figures
    } finally {
      await client.close()
      await bare.close()
      await docker(['rm', '-f', name]).catch(() => {})
      await docker(['rmi', '-f', imageId]).catch(() => {})
    }
  },
}

function bareDispatcher(endpoint: EngineEndpoint): Agent {
  return endpoint.kind === 'unix'
    ? new Agent({ connect: { socketPath: endpoint.socketPath } })
    : new Agent({ connect: { ...(endpoint.tls ?? {}) } })
}

/**
 * Where the client's extra time would go: the CPU cost per call of what it does beyond reading the
 * body (JSON.parse, then the zod schema), measured in-process on one real inspect answer.
 */
async function parseBreakdown(url: string, dispatcher: Agent): Promise<Record<string, number>> {
  const { body } = await request(url, { dispatcher })
  const text = await body.text()
  const value: unknown = JSON.parse(text)
  const time = (fn: () => unknown): number => {
    for (let i = 0; i < BREAKDOWN_ITERATIONS / 10; i++) fn()
    const start = performance.now()
    for (let i = 0; i < BREAKDOWN_ITERATIONS; i++) fn()
    return round(((performance.now() - start) * 1000) / BREAKDOWN_ITERATIONS, 1)
  }
  return {
    inspectBytes: text.length,
    jsonParseMicros: time(() => JSON.parse(text)),
    zodParseMicros: time(() => ContainerInspectSchema.safeParse(value)),
  }
}
