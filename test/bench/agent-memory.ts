/* Issue 2: the agent's resident memory once it serves (/healthz 200), before any other request. */
import { makeDataDir, startAgentProcess } from './agent-process.ts'
import { figure, residentMiB, type BenchModule } from './figures.ts'

export const agentMemoryBench: BenchModule = {
  area: 'agent memory at start-up (issue 2)',
  async run(ctx) {
    const started = performance.now()
    const agent = await startAgentProcess(await makeDataDir(ctx.prefix))
    try {
      const startupMs = Math.round(performance.now() - started)
      const rss = await residentMiB(agent.pid)
      return [figure('agent resident memory after start-up', rss, 'MiB', { op: '<=', value: 60 }, { startupMs, note: 'VmRSS right after the first /healthz 200' })]
    } finally {
      await agent.stop()
    }
  },
}
