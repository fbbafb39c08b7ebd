import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from '../store/atomic.ts'

/**
 * The steps of a recreate, in order. An entry names the step about to be taken, so after a crash
 * recovery knows the furthest the Engine may have got (recovery.ts).
 */
export const RECREATE_STEPS = ['create', 'stop', 'rename-old', 'rename-new', 'start', 'health', 'remove-old', 'rollback'] as const
export type RecreateStep = (typeof RECREATE_STEPS)[number]

const EntrySchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  deployment: z.string(),
  container: z.string(),
  oldId: z.string(),
  oldParkedName: z.string(),
  tempName: z.string(),
  newId: z.string().optional(),
  wasRunning: z.boolean(),
  startNew: z.boolean(),
  step: z.enum(RECREATE_STEPS),
  startedAt: z.string(),
})
export type RecreateEntry = z.infer<typeof EntrySchema>

/**
 * One JSON file per recreate in progress (DATA_DIR/journal/<id>.json), written atomically before
 * each step and removed when the recreate has finished or been undone.
 */
export class RecreateJournal {
  readonly #dir: string

  constructor(dataDir: string) {
    this.#dir = join(dataDir, 'journal')
  }

  async record(entry: RecreateEntry): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 })
    await writeFileAtomic(join(this.#dir, `${entry.id}.json`), JSON.stringify(entry))
  }

  async finish(id: string): Promise<void> {
    await rm(join(this.#dir, `${id}.json`), { force: true })
  }

  /** Entries left by an agent that stopped mid-recreate; unreadable files are reported, not thrown. */
  async leftovers(): Promise<{ entries: RecreateEntry[]; unreadable: string[] }> {
    let files: string[]
    try {
      files = (await readdir(this.#dir)).filter((file) => file.endsWith('.json'))
    } catch {
      return { entries: [], unreadable: [] }
    }
    const entries: RecreateEntry[] = []
    const unreadable: string[] = []
    for (const file of files) {
      try {
        entries.push(EntrySchema.parse(JSON.parse(await readFile(join(this.#dir, file), 'utf8'))))
      } catch {
        unreadable.push(file)
      }
    }
    return { entries, unreadable }
  }
}
