import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import type { StoredDeployment } from '../../src/deploy.ts'
import { writeFileAtomic } from '../store/atomic.ts'

/** How many finished deployments are kept on disk; older ones are pruned at start-up. */
export const KEPT_DEPLOYMENTS = 500
const ID = /^[a-z0-9-]{8,64}$/

const LogLineSchema = z.object({ time: z.string(), message: z.string(), target: z.string().optional(), level: z.enum(['info', 'warn', 'error']) })
const RecordSchema = z.object({
  id: z.string(),
  jti: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'rolled-back']),
  action: z.enum(['pull-recreate', 'recreate', 'restart']),
  cleanup: z.boolean(),
  containerNames: z.array(z.string()),
  trigger: z.looseObject({ source: z.enum(['api', 'webhook']) }),
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  targets: z.array(z.object({ container: z.string(), status: z.enum(['pending', 'running', 'succeeded', 'up-to-date', 'failed', 'rolled-back', 'not-updatable']), message: z.string().optional() })),
  log: z.array(LogLineSchema),
})

/** Deployment records as JSON files in DATA_DIR/deployments, so status survives a restart. */
export class DeploymentStore {
  readonly #dir: string

  constructor(dataDir: string) {
    this.#dir = join(dataDir, 'deployments')
  }

  static isId(id: string): boolean {
    return ID.test(id)
  }

  async save(record: StoredDeployment): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 })
    await writeFileAtomic(join(this.#dir, `${record.id}.json`), JSON.stringify(record))
  }

  async load(id: string): Promise<StoredDeployment | undefined> {
    if (!DeploymentStore.isId(id)) return undefined
    try {
      return RecordSchema.parse(JSON.parse(await readFile(join(this.#dir, `${id}.json`), 'utf8'))) as StoredDeployment
    } catch {
      return undefined
    }
  }

  /** Records still marked queued or running: left by an agent that stopped before they ended. */
  async unfinished(): Promise<StoredDeployment[]> {
    const records = await Promise.all((await this.#files()).map((file) => this.load(file.slice(0, -'.json'.length))))
    return records.filter((r): r is StoredDeployment => r !== undefined && (r.status === 'queued' || r.status === 'running'))
  }

  /** Removes the oldest records beyond `keep`. */
  async prune(keep = KEPT_DEPLOYMENTS): Promise<number> {
    const files = await this.#files()
    if (files.length <= keep) return 0
    const dated = await Promise.all(files.map(async (file) => ({ file, mtime: (await stat(join(this.#dir, file))).mtimeMs })))
    const old = dated.sort((a, b) => a.mtime - b.mtime).slice(0, files.length - keep)
    await Promise.all(old.map(({ file }) => rm(join(this.#dir, file), { force: true })))
    return old.length
  }

  async #files(): Promise<string[]> {
    try {
      return (await readdir(this.#dir)).filter((file) => file.endsWith('.json'))
    } catch {
      return []
    }
  }
}
