/*
 * Issue 3: how close the agent comes to the bare cost of Ed25519 when it checks tokens over HTTP.
 * Rejected tokens (a byte of the signature flipped) and valid tokens (on the cheapest authenticated
 * answer) per second, with 32 connections from this process to a spawned agent, against raw
 * node:crypto verifications per second of a same-size message in one process, in the same run.
 */
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { makeDataDir, mintToken, startAgentProcess } from './agent-process.ts'
import { cpuMicros, figure, median, notMeasured, residentMiB, round, sampleMax, type BenchModule, type Figure, type Target } from './figures.ts'
import { LoadGenerator, type LoadRequest, type LoadResult } from './load.ts'

const CONNECTIONS = 32
const ROUNDS = 3
const HTTP_RUN_MS = 3_000
const VERIFY_RUN_MS = 2_000
const WARMUP_MS = 1_000
const MEMORY_AFTER_REQUESTS = 20_000
const RATIO_TARGET: Target = { op: '>=', value: 0.6 }
const MEMORY_TARGET: Target = { op: '<=', value: 80 }
/** The share of answers that must carry the expected status for a rate to mean anything. */
const EXPECTED_SHARE = 0.99
const PAE_HEADER = 'v4.public.'

export const tokensBench: BenchModule = {
  area: 'token checks over HTTP (issue 3)',
  async run(ctx) {
    const dataDir = await makeDataDir(ctx.prefix)
    // The CLI creates the key before the agent starts, so both sign and verify with the same one.
    const token = await mintToken(dataDir, { containers: [`${ctx.prefix}-absent`], action: 'restart' })
    const forged = flipSignatureByte(token)
    const agent = await startAgentProcess(dataDir, { AUTH_FAILURE_LIMIT: '0' })
    const load = new LoadGenerator(agent.url, CONNECTIONS)
    try {
      const rejected: LoadRequest = { method: 'POST', path: '/v1/deploy', headers: { 'x-deploy-token': forged } }
      const valid: LoadRequest = { method: 'POST', path: '/v1/deploy', headers: { 'x-deploy-token': token } }
      const verifyOnce = rawVerifier(signedMessageBytes(token))

      await load.run(rejected, WARMUP_MS)
      await load.run(valid, WARMUP_MS)
      rawVerifyRate(verifyOnce, WARMUP_MS / 2)

      // The agent's CPU per request says what each answer costs even when the machine is busy.
      const measured = async (req: LoadRequest): Promise<AgentLoadResult> => {
        const before = await cpuMicros(agent.pid)
        const result = await load.run(req, HTTP_RUN_MS)
        return { ...result, agentCpuMicrosPerRequest: round((await cpuMicros(agent.pid) - before) / result.requests, 1) }
      }
      const peak = sampleMax(() => residentMiB(agent.pid), 50)
      const rounds: { raw: RawRate; rejected: AgentLoadResult; valid: AgentLoadResult }[] = []
      let requests = 0
      let peakMiB = 0
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const raw = rawVerifyRate(verifyOnce, VERIFY_RUN_MS)
          rounds.push({ raw, rejected: await measured(rejected), valid: await measured(valid) })
        }
        requests = rounds.reduce((sum, r) => sum + r.rejected.requests + r.valid.requests, 0)
        while (requests < MEMORY_AFTER_REQUESTS) requests += (await load.run(rejected, HTTP_RUN_MS)).requests
      } finally {
        peakMiB = await peak.stop()
      }
      const afterMiB = await residentMiB(agent.pid)

      const rawPerSecond = rounds.map((r) => r.raw.perSecond)
      const rawCpuMicros = median(rounds.map((r) => r.raw.cpuMicrosPerOp))
      const figures: Figure[] = []
      const ratioFigure = (kind: 'rejected' | 'valid', expected: (status: string) => boolean, what: string): Figure => {
        const name = `${kind} tokens per second over HTTP / raw Ed25519 verifications per second`
        const runs = rounds.map((r) => r[kind])
        const unexpected = runs.flatMap((run) => Object.entries(run.statuses).filter(([status]) => !expected(status)))
        const answered = runs.reduce((sum, run) => sum + run.requests, 0)
        const off = unexpected.reduce((sum, [, count]) => sum + count, 0)
        if (off > answered * (1 - EXPECTED_SHARE)) {
          return notMeasured(name, 'ratio', RATIO_TARGET, `${off} of ${answered} answers were not ${what}: ${JSON.stringify(runs.map((run) => run.statuses))}`)
        }
        const ratios = rounds.map((r) => r[kind].perSecond / r.raw.perSecond)
        const agentCpu = median(runs.map((run) => run.agentCpuMicrosPerRequest))
        ctx.log(`${kind} tokens: ${round(median(ratios))} of raw Ed25519`)
        return figure(name, median(ratios), 'ratio', RATIO_TARGET, {
          connections: CONNECTIONS,
          httpPerSecond: runs.map((run) => run.perSecond),
          rawVerifyPerSecond: rawPerSecond,
          ratios: ratios.map((ratio) => round(ratio)),
          agentCpuMicrosPerRequest: runs.map((run) => run.agentCpuMicrosPerRequest),
          rawVerifyCpuMicros: rawCpuMicros,
          // The same ratio by CPU time: what it would be with a core each for the agent and its clients.
          cpuRatio: round(rawCpuMicros / agentCpu),
          statuses: runs.map((run) => run.statuses),
        })
      }
      figures.push(ratioFigure('rejected', (status) => status === '401', '401 bad_signature'))
      // Until the deployer is wired the route answers 501 after authentication; then 404 (no such container).
      figures.push(ratioFigure('valid', (status) => status === '404' || status === '501', '404/501 after authentication'))
      figures.push(figure(`agent resident memory after ${MEMORY_AFTER_REQUESTS} requests`, afterMiB, 'MiB', MEMORY_TARGET, { requests, peakDuringLoadMiB: round(peakMiB) }))
      return figures
    } finally {
      await load.close()
      await agent.stop()
    }
  },
}

/** The token with one byte of the signature's R half changed: well formed, right key id, full verification needed. */
function flipSignatureByte(token: string): string {
  const parts = token.split('.')
  const body = Buffer.from(parts[2] ?? '', 'base64url')
  const at = body.length - 64 + 10
  body[at] = (body[at] ?? 0) ^ 0x55
  parts[2] = body.toString('base64url')
  return parts.join('.')
}

/** Size of what v4.public signs for this token: PAE(header, message, footer, implicit) (PASETO spec, "PAE"). */
function signedMessageBytes(token: string): number {
  const [, , body = '', footer = ''] = token.split('.')
  const message = Buffer.from(body, 'base64url').length - 64
  const pieces = [PAE_HEADER.length, message, Buffer.from(footer, 'base64url').length, 0]
  return 8 + pieces.reduce((sum, length) => sum + 8 + length, 0)
}

function rawVerifier(messageBytes: number): () => boolean {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const message = randomBytes(messageBytes)
  const signature = sign(null, message, privateKey)
  return () => verify(null, message, publicKey, signature)
}

interface AgentLoadResult extends LoadResult {
  agentCpuMicrosPerRequest: number
}

interface RawRate {
  perSecond: number
  cpuMicrosPerOp: number
}

/** Synchronous verifications per second for `durationMs` (the clock is read every 64 calls). */
function rawVerifyRate(verifyOnce: () => boolean, durationMs: number): RawRate {
  let count = 0
  const cpu = process.cpuUsage()
  const start = performance.now()
  const end = start + durationMs
  while (performance.now() < end) {
    for (let i = 0; i < 64; i++) if (!verifyOnce()) throw new Error('Ed25519 verification of a good signature failed')
    count += 64
  }
  const seconds = (performance.now() - start) / 1000
  const { user, system } = process.cpuUsage(cpu)
  return { perSecond: round(count / seconds, 1), cpuMicrosPerOp: round((user + system) / count, 1) }
}
