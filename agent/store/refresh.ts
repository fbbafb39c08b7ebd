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
