import { mkdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer, type ServerType } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { createApp } from '../src/app.ts'
import type { Logger } from '../src/ports.ts'
import { createTokenVerifier } from '../src/tokens/verify.ts'
import type { AgentConfig } from './config.ts'
import { EngineClient } from './docker/engine.ts'
import { engineHealth } from './docker/health.ts'
import { loadOrCreateHookKey } from './store/hook-key.ts'
import { openKeyRing, type KeyRing } from './store/keys.ts'
import { keepFresh } from './store/refresh.ts'
import { openRegistryAuth, type RegistryAuth } from './store/registry-auth.ts'
import { openRevocations, type Revocations } from './store/revocations.ts'

export interface RunningAgent {
  /** Where the agent listens, e.g. http://127.0.0.1:3000 */
  url: string
  engine: EngineClient
  /** The data directory's stores, kept in step with the files (the CLI changes them while the agent runs). */
  stores: { keys: KeyRing; revocations: Revocations; registryAuth: RegistryAuth; hookKey: Uint8Array }
  /** Stops accepting connections, lets open requests finish, closes the Engine pool. */
  close(): Promise<void>
}

/**
 * Builds the agent's objects from its configuration and starts listening. The Engine may be down:
 * the agent still starts, /healthz says why, and the next call tries the Engine again.
 */
export async function startAgent(config: AgentConfig, logger: Logger): Promise<RunningAgent> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const [keys, revocations, registryAuth, hookKey] = await Promise.all([
    openKeyRing(config.dataDir),
    openRevocations(config.dataDir),
    openRegistryAuth(config.dataDir),
    loadOrCreateHookKey(config.dataDir),
  ])
  const stopRefreshing = keepFresh([keys, revocations, registryAuth], (error) =>
    logger.error('a data file changed but cannot be read; keeping what was last read', { reason: error instanceof Error ? error.message : String(error) }),
  )
  const engine = new EngineClient(config.engine)
  const app = createApp({
    health: engineHealth(engine),
    tokens: createTokenVerifier({ keys, revocations }),
    clientAddress: (c) => getConnInfo(c).remote.address,
    behindProxy: config.behindProxy,
    authFailureLimit: config.authFailureLimit,
    logger,
  })
  const server = createAdaptorServer({ fetch: app.fetch, hostname: config.ip })
  try {
    await listen(server, config.port, config.ip)
  } catch (error) {
    stopRefreshing()
    await engine.close()
    throw error
  }
  logger.info('deploy tokens are signed with', { kid: keys.current().kid, verifying: keys.verifying().length })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`

  engine.ping().then(
    (version) => logger.info('Docker Engine reachable', { engine: config.engine.description, api: version }),
    (error: unknown) => logger.warn('Docker Engine not reachable yet; /healthz reports 503 until it answers', { reason: error instanceof Error ? error.message : String(error) }),
  )

  return {
    url,
    engine,
    stores: { keys, revocations, registryAuth, hookKey },
    async close() {
      stopRefreshing()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await engine.close()
    },
  }
}

function listen(server: ServerType, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}
