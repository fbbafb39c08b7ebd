import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../agent/config.ts'
import { createLogger } from '../../agent/logger.ts'
import { startAgent, type RunningAgent } from '../../agent/server.ts'
import type { DeployAction, HookBinding } from '../../src/tokens/claims.ts'
import { mintToken } from '../../src/tokens/mint.ts'
import { dockerHost } from './harness.ts'

export interface TestAgent {
  agent: RunningAgent
  dataDir: string
  /** Every line the agent logged, to check that no secret leaks into logs. */
  logs: string[]
  token(containerNames: string[], action: DeployAction, options?: { cleanup?: boolean; hook?: HookBinding }): Promise<string>
  close(): Promise<void>
}

/** The real agent, in this process, on a free port with its own data directory. */
export async function startTestAgent(env: Record<string, string> = {}): Promise<TestAgent> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dh-agent-'))
  const logs: string[] = []
  const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, DOCKER_HOST: dockerHost(), DEPLOY_STABLE_SECONDS: '0', DOCKER_CONFIG: join(dataDir, 'no-docker-config'), ...env })
  const agent = await startAgent(config, createLogger('text', (line) => logs.push(line)))
  return {
    agent,
    dataDir,
    logs,
    async token(containerNames, action, options = {}) {
      const { token } = await mintToken({ containerNames, action, cleanup: options.cleanup ?? false, expiresIn: 3600, ...(options.hook ? { hook: options.hook } : {}) }, agent.stores.keys.current(), new Date())
      return token
    },
    async close() {
      await agent.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
