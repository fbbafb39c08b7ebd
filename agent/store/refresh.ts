import { fileVersion } from './atomic.ts'

/** A store that can notice its file changed on disk and re-read it. */
export interface Refreshable {
  refresh(): Promise<boolean>
}

/**
 * How often the agent looks at its data files. The CLI changes them (revoke, rotate, registry add)
 * while the agent runs; a revocation must bite within a second. One stat per file per tick is far
 * cheaper than reading files per request, and, unlike fs.watch, works on every filesystem and bind
 * mount and with editors that replace files.
 */
export const REFRESH_INTERVAL_MS = 250

/** Polls `stores` until the returned function is called. Errors go to `onError`; polling goes on. */
export function keepFresh(stores: readonly Refreshable[], onError: (error: unknown) => void, intervalMs: number = REFRESH_INTERVAL_MS): () => void {
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const tick = async () => {
    await Promise.all(stores.map((store) => store.refresh().catch(onError)))
    if (!stopped) schedule()
  }
  const schedule = () => {
    // unref: polling alone must not keep a process (a test, the CLI) alive.
    timer = setTimeout(() => void tick(), intervalMs).unref()
  }
  schedule()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}

/** What a store keeps in memory from its file, tagged with the `fileVersion` it was read at. */
export interface VersionedState {
  version: string
}

/**
 * Builds a store's `refresh()`: reloads its state when the file at `path` changed since `state.get()`
 * was read, with one reload shared by concurrent calls. A reload that throws keeps the last good
 * state but records the file's new version, so a broken file is reported once rather than on every poll.
 *
 * @example
 * const refresh = refreshOnChange(path, { get: () => state, set: (next) => (state = next) }, load)
 */
export function refreshOnChange<S extends VersionedState>(path: string, state: { get(): S; set(next: S): void }, load: (previous: S) => Promise<S>): () => Promise<boolean> {
  let refreshing: Promise<boolean> | undefined
  return async () => {
    refreshing ??= (async () => {
      try {
        const version = await fileVersion(path)
        if (version === state.get().version) return false
        try {
          state.set(await load(state.get()))
        } catch (error) {
          state.set({ ...state.get(), version })
          throw error
        }
        return true
      } finally {
        refreshing = undefined
      }
    })()
    return await refreshing
  }
}
