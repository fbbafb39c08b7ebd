import { Hono } from 'hono'
import { INDEX_PAGE_HEADERS, indexPage } from '../pages/index-page.ts'
import { bashScript, powershellScript } from '../pages/scripts.ts'

export interface PageOptions {
  /** The instance's public URL (`URL`), put into the page and the scripts. */
  publicUrl: string
  /** False with `DISABLE_INDEX_PAGE`: `GET /` is then not found like any unknown path. */
  indexPage: boolean
  /** `SCRIPT_TIMEOUT`: how long the helper scripts wait for the deploy's result. */
  scriptTimeoutSeconds: number
  /** Shown on the index page. */
  version?: string | undefined
}

// Nobody should index a deploy hook, wherever its URL gets pasted.
const ROBOTS_TXT = 'User-agent: *\nDisallow: /\n'

/**
 * `GET /` (unless disabled), `GET /robots.txt`, and the helper scripts `GET /s` (bash) and
 * `GET /pwsh` (PowerShell). Everything is built once: it depends only on the options.
 */
export function pageRoutes(options: PageOptions): Hono {
  const script = { url: options.publicUrl, timeoutSeconds: options.scriptTimeoutSeconds }
  const bash = bashScript(script)
  const powershell = powershellScript(script)
  const routes = new Hono()
  if (options.indexPage) {
    const page = indexPage({ url: options.publicUrl, version: options.version })
    routes.get('/', (c) => c.html(page, 200, INDEX_PAGE_HEADERS))
  }
  return routes
    .get('/robots.txt', (c) => c.text(ROBOTS_TXT))
    .get('/s', (c) => c.body(bash, 200, { 'Content-Type': 'text/x-shellscript; charset=utf-8', 'Cache-Control': 'no-cache' }))
    // text/plain: `irm` hands it over as a string, and a browser shows it instead of downloading it.
    .get('/pwsh', (c) => c.text(powershell, 200, { 'Cache-Control': 'no-cache' }))
}
