import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EngineClient } from '../../agent/docker/engine.ts'
import { parseDockerHost } from '../../agent/docker/host.ts'
import { credentialResolver, type CredentialResolver } from '../../agent/deployer/credentials.ts'
import type { RecreateJournal } from '../../agent/deployer/journal.ts'
import { createHostDeployer, type HostDeployer } from '../../agent/deployer/deployer.ts'
import type { DeployActionName, DeploymentRecord, DeployEvent } from '../../src/deploy.ts'
import { silentLogger } from '../../src/ports.ts'
import { dockerHost } from './harness.ts'

export interface TestDeployer {
  deployer: HostDeployer
  engine: EngineClient
  dataDir: string
  close(): Promise<void>
}

/** A host deployer on the Engine under test with its own temporary data directory. */
export async function makeDeployer(options: { stableMs?: number; healthTimeoutMs?: number; credentials?: CredentialResolver; concurrency?: number; dataDir?: string; journal?: RecreateJournal } = {}): Promise<TestDeployer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'dh-deployer-')))
  const engine = new EngineClient(parseDockerHost({ dockerHost: dockerHost() }))
  const deployer = createHostDeployer({
    engine,
    dataDir,
    credentials: options.credentials ?? credentialResolver({ stored: () => undefined, dockerConfigDir: join(dataDir, 'no-docker-config') }),
    gate: { stableMs: options.stableMs ?? 0, timeoutMs: options.healthTimeoutMs ?? 20_000, pollMs: 100 },
    concurrency: options.concurrency ?? 4,
    logger: silentLogger,
    ...(options.journal ? { journal: options.journal } : {}),
  })
  return {
    deployer,
    engine,
    dataDir,
    async close() {
      await deployer.drain()
      await engine.close()
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** Runs one deployment to its end; resolves with its record and every event it emitted. */
export async function deploy(deployer: HostDeployer, containerNames: string[], action: DeployActionName, cleanup = false): Promise<{ record: DeploymentRecord; events: DeployEvent[] }> {
  const started = await deployer.start({ containerNames, action, cleanup, jti: 'test-jti', trigger: { source: 'api' } })
  if (!started.ok) throw new Error(`deployment did not start: ${started.message}`)
  const events: DeployEvent[] = []
  for await (const event of started.deployment.events()) events.push(event)
  return { record: await started.deployment.done, events }
}
