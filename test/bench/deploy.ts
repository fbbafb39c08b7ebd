/*
 * Issue 4: deploys through the agent against the docker CLI doing the same work, on busybox httpd
 * containers that trap SIGTERM, with DEPLOY_STABLE_SECONDS=0 (running counts as up).
 *
 * - response time of POST /v1/deploy (plain text mode) / the CLI sequence, restart and pull-recreate;
 * - downtime: the longest gap between successful answers of a 5 ms poller on the published port
 *   during a pull-recreate, agent / CLI;
 * - 8 containers in one token / one container, restart and pull-recreate;
 * - the agent's peak resident memory during the 8-container deploys.
 *
 * Agent and CLI runs alternate (and swap which goes first) on the same container. Before every
 * pull-recreate a newer image is pushed under the tag and the old one re-tagged locally, so each
 * pull finds something new and each run replaces a container.
 */
import { Agent, request } from 'undici'
import { docker, importBusyboxImage } from '../support/docker.ts'
import { freePort } from '../support/process.ts'
import { makeDataDir, mintToken, startAgentProcess, type AgentProcess } from './agent-process.ts'
import { figure, median, notMeasured, residentMiB, round, sampleMax, type BenchContext, type BenchModule, type Figure, type Target } from './figures.ts'

const REPETITIONS = 5
const GROUP_REPETITIONS = 3
const GROUP_SIZE = 8
const POLL_INTERVAL_MS = 5
/** Short: a poll hanging on a half-open connection would widen the gap it measures. */
const POLL_TIMEOUT_MS = 250
/** How long the new container may take to answer after a deploy before the run counts as broken. */
const SERVE_AGAIN_TIMEOUT_MS = 10_000
const RSS_SAMPLE_MS = 50
const LABEL = 'dockhook.bench'

const TARGETS = {
  response: { op: '<=', value: 1.2 },
  downtime: { op: '<=', value: 1.1 },
  group: { op: '<=', value: 2.0 },
  memory: { op: '<=', value: 100 },
} satisfies Record<string, Target>

const FIGURES = {
  restart: ['restart response time, agent / docker CLI', 'ratio', TARGETS.response],
  pull: ['pull-recreate response time, agent / docker CLI', 'ratio', TARGETS.response],
  downtime: ['pull-recreate downtime (longest gap of a 5 ms poller), agent / docker CLI', 'ratio', TARGETS.downtime],
  groupRestart: [`restart of ${GROUP_SIZE} containers in one token / one container`, 'ratio', TARGETS.group],
  groupPull: [`pull-recreate of ${GROUP_SIZE} containers in one token / one container`, 'ratio', TARGETS.group],
  memory: [`agent peak resident memory during ${GROUP_SIZE}-container deploys`, 'MiB', TARGETS.memory],
} satisfies Record<string, [string, string, Target]>

export const deployBench: BenchModule = {
  area: 'deploy latency and downtime (issue 4)',
  async run(ctx) {
    const setup = new Setup(ctx)
    try {
      return await measure(ctx, setup)
    } finally {
      await setup.cleanup()
    }
  },
}

async function measure(ctx: BenchContext, setup: Setup): Promise<Figure[]> {
  const port = await freePort()
  const labelOption = ['--label', `${LABEL}=${ctx.prefix}`]
  const web = await setup.service(`${ctx.prefix}-web`, [...labelOption, '-p', `127.0.0.1:${port}:80`], 1)
  const group = await setup.service(`${ctx.prefix}-group`, labelOption, GROUP_SIZE)

  const dataDir = await makeDataDir(ctx.prefix)
  // The first mint creates the signing key; the others must not race to create it too.
  const restart = await mintToken(dataDir, { containers: web.names, action: 'restart' })
  const [pull, groupRestart, groupPull] = await Promise.all([
    mintToken(dataDir, { containers: web.names, action: 'pull-recreate', keepImage: true }),
    mintToken(dataDir, { containers: group.names, action: 'restart' }),
    mintToken(dataDir, { containers: group.names, action: 'pull-recreate', keepImage: true }),
  ])
  const agent = await startAgentProcess(dataDir, { DEPLOY_STABLE_SECONDS: '0' })
  setup.agent = agent

  // Also the warm-up: the first deploy loads the deployer's code paths.
  const probe = await deploy(agent, restart)
  if (probe.status === 501) {
    const reason = 'POST /v1/deploy answers 501: the deployer is not wired into the agent yet'
    return Object.values(FIGURES).map(([name, unit, target]) => notMeasured(name, unit, target, reason))
  }
  probe.assertOk('warm-up restart')

  const agentRestart = async () => (await deploy(agent, restart)).assertOk('restart')
  const cliRestart = async () => void (await docker(['restart', ...web.names]))
  await cliRestart()
  const restartTimes = await alternate((who) => timed(who === 'agent' ? agentRestart : cliRestart))
  ctx.log(`restart: agent ${ms(median(restartTimes.agent))}, CLI ${ms(median(restartTimes.cli))} (medians)`)

  const url = `http://127.0.0.1:${port}/`
  const gaps: Record<Who, number[]> = { agent: [], cli: [] }
  const pullTimes = await alternate(async (who) => {
    const next = await web.pushNewer()
    const work = who === 'agent' ? async () => (await deploy(agent, pull)).assertOk('pull-recreate') : () => web.cliPullRecreate()
    const { elapsedMs, gapMs } = await withPoller(url, work)
    await web.assertRunning(next)
    gaps[who].push(gapMs)
    return elapsedMs
  })
  ctx.log(`pull-recreate: agent ${ms(median(pullTimes.agent))}, CLI ${ms(median(pullTimes.cli))}; longest gap: agent ${ms(median(gaps.agent))}, CLI ${ms(median(gaps.cli))} (medians)`)

  let peakMiB = 0
  const groupDeploy = async (token: string, what: string): Promise<number> => {
    const sampler = sampleMax(() => residentMiB(agent.pid), RSS_SAMPLE_MS)
    try {
      return await timed(async () => (await deploy(agent, token)).assertOk(what))
    } finally {
      peakMiB = Math.max(peakMiB, await sampler.stop())
    }
  }
  // The Engine's own scaling on this machine: the CLI doing the 8 at once, one process per container.
  const groupTimes = { restart: { agent: [] as number[], cli: [] as number[] }, pull: { agent: [] as number[], cli: [] as number[] } }
  for (let rep = 0; rep < GROUP_REPETITIONS; rep++) {
    groupTimes.restart.agent.push(await groupDeploy(groupRestart, `restart of ${GROUP_SIZE}`))
    groupTimes.restart.cli.push(await timed(async () => void (await Promise.all(group.names.map((name) => docker(['restart', name]))))))
    let next = await group.pushNewer()
    groupTimes.pull.agent.push(await groupDeploy(groupPull, `pull-recreate of ${GROUP_SIZE}`))
    await group.assertRunning(next)
    next = await group.pushNewer()
    groupTimes.pull.cli.push(await timed(() => group.cliPullRecreate()))
    await group.assertRunning(next)
  }
  ctx.log(`${GROUP_SIZE} containers: restart ${ms(median(groupTimes.restart.agent))}, pull-recreate ${ms(median(groupTimes.pull.agent))} (medians)`)

  const times = (values: readonly number[]) => values.map((v) => round(v, 1))
  const versus = (t: Record<Who, number[]>) => ({ agentMs: times(t.agent), cliMs: times(t.cli), agentMedianMs: round(median(t.agent), 1), cliMedianMs: round(median(t.cli), 1) })
  const ofOne = (t: Record<Who, number[]>, single: Record<Who, number[]>) => ({
    groupMs: times(t.agent),
    groupMedianMs: round(median(t.agent), 1),
    singleMedianMs: round(median(single.agent), 1),
    deployConcurrency: 'default (DEPLOY_CONCURRENCY unset)',
    cliParallelMs: times(t.cli),
    cliParallelOverSingle: round(median(t.cli) / median(single.cli)),
  })
  const make = (key: keyof typeof FIGURES, value: number, details: Record<string, unknown>) => {
    const [name, unit, target] = FIGURES[key]
    return figure(name, value, unit, target, details)
  }
  return [
    make('restart', median(restartTimes.agent) / median(restartTimes.cli), { ...versus(restartTimes), cli: 'docker restart' }),
    make('pull', median(pullTimes.agent) / median(pullTimes.cli), { ...versus(pullTimes), cli: 'docker pull, create, stop, rename ×2, start, rm' }),
    make('downtime', median(gaps.agent) / median(gaps.cli), { agentGapMs: times(gaps.agent), cliGapMs: times(gaps.cli), pollIntervalMs: POLL_INTERVAL_MS }),
    make('groupRestart', median(groupTimes.restart.agent) / median(restartTimes.agent), ofOne(groupTimes.restart, restartTimes)),
    make('groupPull', median(groupTimes.pull.agent) / median(pullTimes.agent), ofOne(groupTimes.pull, pullTimes)),
    make('memory', peakMiB, { sampledEveryMs: RSS_SAMPLE_MS, deploys: GROUP_REPETITIONS * 2 }),
  ]
}

type Who = 'agent' | 'cli'

/** Runs `once` for the agent and the CLI in turn, swapping which goes first each repetition. */
async function alternate(once: (who: Who) => Promise<number>): Promise<Record<Who, number[]>> {
  const results: Record<Who, number[]> = { agent: [], cli: [] }
  for (let rep = 0; rep < REPETITIONS; rep++) {
    for (const who of rep % 2 ? (['cli', 'agent'] as const) : (['agent', 'cli'] as const)) results[who].push(await once(who))
  }
  return results
}

function ms(value: number): string {
  return `${Math.round(value)} ms`
}

/** The docker CLI's pull-recreate of one container, in the same safe order as the agent's. */
async function cliPullRecreate(name: string, ref: string, options: readonly string[]): Promise<void> {
  await docker(['pull', '-q', ref])
  await docker(['create', '--name', `${name}-cli-new`, ...options, ref])
  await docker(['stop', name])
  await docker(['rename', name, `${name}-cli-old`])
  await docker(['rename', `${name}-cli-new`, name])
  await docker(['start', name])
  await docker(['rm', `${name}-cli-old`])
}

interface DeployAnswer {
  status: number
  assertOk(what: string): void
}

/** POST /v1/deploy in the default (plain text) mode, read to the end. */
async function deploy(agent: AgentProcess, token: string): Promise<DeployAnswer> {
  const { statusCode, body } = await request(`${agent.url}/v1/deploy`, { method: 'POST', headers: { 'x-deploy-token': token } })
  const text = await body.text()
  return {
    status: statusCode,
    assertOk(what) {
      if (statusCode !== 200) throw new Error(`${what} through the agent answered ${statusCode}:\n${text.slice(-1500)}`)
    },
  }
}

async function timed(work: () => Promise<void>): Promise<number> {
  const start = performance.now()
  await work()
  return performance.now() - start
}

/**
 * Runs `work` while polling `url` every 5 ms on fresh connections. Resolves how long `work` took and
 * the longest gap between two successful answers, from the last one before `work` to the first after.
 */
async function withPoller(url: string, work: () => Promise<void>): Promise<{ elapsedMs: number; gapMs: number }> {
  const dispatcher = new Agent()
  const successes: number[] = []
  let stopped = false
  const poll = async (): Promise<void> => {
    while (!stopped) {
      const started = performance.now()
      try {
        const { statusCode, body } = await request(url, { dispatcher, reset: true, headersTimeout: POLL_TIMEOUT_MS, bodyTimeout: POLL_TIMEOUT_MS })
        await body.text()
        if (statusCode === 200) successes.push(performance.now())
      } catch {
        // refused or reset while the container is swapped: exactly the downtime being measured
      }
      const wait = started + POLL_INTERVAL_MS - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }
  const polling = poll()
  try {
    await until(() => successes.length > 0, 'the container did not answer before the deploy')
    const begin = performance.now()
    await work()
    const end = performance.now()
    await until(() => (successes.at(-1) ?? 0) > end, `the container did not answer within ${SERVE_AGAIN_TIMEOUT_MS} ms after the deploy`)
    const from = successes.findLastIndex((t) => t <= begin)
    const to = successes.findIndex((t) => t > end)
    let gapMs = 0
    for (let i = Math.max(from, 0) + 1; i <= to; i++) gapMs = Math.max(gapMs, successes[i]! - successes[i - 1]!)
    return { elapsedMs: end - begin, gapMs }
  } finally {
    stopped = true
    await polling
    await dispatcher.close()
  }
}

async function until(condition: () => boolean, failure: string): Promise<void> {
  const deadline = performance.now() + SERVE_AGAIN_TIMEOUT_MS
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(failure)
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS))
  }
}

interface Service {
  ref: string
  names: string[]
  /** The docker CLI's pull-recreate of every container at once (one sequence each), with the options they were made with. */
  cliPullRecreate(): Promise<void>
  /** Pushes a newer image under `ref` and points the local tag back at the running one; resolves the new ID. */
  pushNewer(): Promise<string>
  /** Throws unless every container runs `imageId`. */
  assertRunning(imageId: string): Promise<void>
}

/** Everything the module makes, removed by `cleanup()` whatever happened. */
class Setup {
  readonly #ctx: BenchContext
  readonly #images = new Set<string>()
  agent: AgentProcess | undefined

  constructor(ctx: BenchContext) {
    this.#ctx = ctx
  }

  /** `count` running containers of a fresh image pushed to the run's registry, with `options` on `docker run` (and `docker create`). */
  async service(base: string, options: readonly string[], count: number): Promise<Service> {
    const ref = `${this.#ctx.registry}/${base}:latest`
    let generation = 0
    const build = async (): Promise<string> => {
      const id = await importBusyboxImage(ref, { content: `${base} v${generation++}` })
      this.#images.add(id)
      await docker(['push', '-q', ref])
      return id
    }
    let current = await build()
    const names = Array.from({ length: count }, (_, i) => (count === 1 ? base : `${base}-${i + 1}`))
    for (const name of names) await docker(['run', '-d', '--name', name, ...options, ref])
    return {
      ref,
      names,
      cliPullRecreate: async () => void (await Promise.all(names.map((name) => cliPullRecreate(name, ref, options)))),
      pushNewer: async () => {
        const previous = current
        current = await build()
        await docker(['tag', previous, ref])
        return current
      },
      assertRunning: async (imageId) => {
        const running = (await docker(['inspect', '-f', '{{.Image}} {{.State.Running}}', ...names])).trim().split('\n')
        const wrong = running.filter((line) => line !== `${imageId} true`)
        if (wrong.length) throw new Error(`after the deploy ${wrong.length} of ${names.length} containers do not run ${imageId}: ${wrong.join('; ')}`)
      },
    }
  }

  async cleanup(): Promise<void> {
    await this.agent?.stop()
    const byName = await docker(['ps', '-aq', '--filter', `name=${this.#ctx.prefix}`]).catch(() => '')
    const byLabel = await docker(['ps', '-aq', '--filter', `label=${LABEL}=${this.#ctx.prefix}`]).catch(() => '')
    const ids = [...new Set(`${byName}\n${byLabel}`.split('\n').map((id) => id.trim()).filter(Boolean))]
    if (ids.length) await docker(['rm', '-f', ...ids]).catch(() => {})
    for (const id of this.#images) await docker(['rmi', '-f', id]).catch(() => {})
  }
}
