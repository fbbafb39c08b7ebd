import { mkdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer, type ServerType } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import packageJson from '../package.json' with { type: 'json' }
import type { Hono } from 'hono'
import { createApp } from '../src/app.ts'
import type { Logger } from '../src/ports.ts'
import { hookSecretFor } from '../src/tokens/hook-secret.ts'
import { createTokenVerifier } from '../src/tokens/verify.ts'
import type { AgentConfig } from './config.ts'
import { EngineClient } from './docker/engine.ts'
import { ContainerDirectory } from './docker/containers-by-name.ts'
import { engineHealth } from './docker/health.ts'
import { credentialResolver } from './deployer/credentials.ts'
import { createHostDeployer, type HostDeployer } from './deployer/deployer.ts'
import { loadOrCreateHookKey } from './store/hook-key.ts'
import { openKeyRing, type KeyRing } from './store/keys.ts'
import { keepFresh } from './store/refresh.ts'
import { openRegistryAuth, type RegistryAuth } from './store/registry-auth.ts'
import { openRevocations, type Revocations } from './store/revocations.ts'
import { messageOf } from '../src/errors.ts'

export interface RunningAgent {
  /** Where the agent listens, e.g. http://127.0.0.1:3000 */
  url: string
  engine: EngineClient
  deployer: HostDeployer
  /** The data directory's stores, kept in step with the files (the CLI changes them while the agent runs). */
  stores: { keys: KeyRing; revocations: Revocations; registryAuth: RegistryAuth; hookKey: Uint8Array }
  /**
   * Stops taking deploys (they get 503), waits for running ones to end, stops accepting
   * connections, lets open requests finish and closes the Engine pool.
   */
  close(): Promise<void>
}

/** How often recovery of interrupted recreates is retried while the Engine cannot be reached. */
const RECOVERY_RETRY_MS = 5_000

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
    logger.error('a data file changed but cannot be read; keeping what was last read', { reason: messageOf(error) }),
  )
  const engine = new EngineClient(config.engine)
  const containers = new ContainerDirectory(engine)
  const deployer = createHostDeployer({
    engine,
    containers,
    dataDir: config.dataDir,
    credentials: credentialResolver({ stored: (registry) => registryAuth.credentialsFor(registry), dockerConfigDir: config.dockerConfigDir }),
    gate: { stableMs: config.stableSeconds * 1000, timeoutMs: config.healthTimeoutSeconds * 1000 },
    concurrency: config.deployConcurrency,
    logger,
  })
  const recovery = settleInterruptedDeploys(deployer, logger)
  // The app is built once the address is known: with PORT=0 and no URL, links use the real port.
  let app: Hono | undefined
  const server = createAdaptorServer({ fetch: (request, env) => (app as Hono).fetch(request, env), hostname: config.ip })
  try {
    await listen(server, config.port, config.ip)
  } catch (error) {
    stopRefreshing()
    recovery.stop()
    await engine.close()
    throw error
  }
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`
  const publicUrl = config.publicUrlSet || config.port !== 0 ? config.publicUrl : url
  app = createApp({
    health: engineHealth(engine),
    tokens: createTokenVerifier({ keys, revocations }),
    clientAddress: (c) => getConnInfo(c).remote.address,
    behindProxy: config.behindProxy,
    authFailureLimit: config.authFailureLimit,
    logger,
    deployer,
    hooks: {
      hookSecret: (jti) => hookSecretFor(hookKey, jti),
      containerImages: (names) => containers.imageReferences(names),
    },
    publicUrl,
    pages: { publicUrl, indexPage: config.indexPage, scriptTimeoutSeconds: config.scriptTimeoutSeconds, version: packageJson.version },
  })
  logger.info('deploy tokens are signed with', { kid: keys.current().kid, verifying: keys.verifying().length })

  engine.ping().then(
    (version) => logger.info('Docker Engine reachable', { engine: config.engine.description, api: version }),
    (error: unknown) => logger.warn('Docker Engine not reachable yet; /healthz reports 503 until it answers', { reason: messageOf(error) }),
  )

  return {
    url,
    engine,
    deployer,
    stores: { keys, revocations, registryAuth, hookKey },
    async close() {
      await deployer.drain()
      recovery.stop()
      stopRefreshing()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await engine.close()
    },
  }
}

/**
 * `Config.Image` of each named container that exists: the reference it was created from, which a
 * registry push is matched against (the list API's `Image` turns into an ID once the tag moves).
 * Deliveries arriving together for the same container share one inspect in flight: a burst of
 * webhooks must not queue a burst of Engine calls behind the deploy that is running.
 */
/**
 * Finishes or undoes recreates an earlier process left halfway. Runs at start-up and again every few
 * seconds while some cannot be settled yet (the Engine is down), until all are.
 */
function settleInterruptedDeploys(deployer: HostDeployer, logger: Logger): { stop(): void } {
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const attempt = async () => {
    try {
      const report = await deployer.recover()
      if (report.restored.length || report.completed.length) logger.warn('settled interrupted recreates', { restored: report.restored.join(','), completed: report.completed.join(',') })
      if (!report.failed.length) return
    } catch (error) {
      logger.warn('could not check for interrupted recreates yet', { reason: messageOf(error) })
    }
    if (!stopped) timer = setTimeout(attempt, RECOVERY_RETRY_MS).unref()
  }
  void attempt()
  return {
    stop() {
      stopped = true
      clearTimeout(timer)
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
