/*
 * `GET /`: what this instance is and what to paste where, built from its public URL. One
 * self-contained document (no scripts, fonts or images) so it works behind any CSP and offline.
 */
import {
  CI_SECRET_PLACES,
  DEPLOY_TOKEN_VARIABLE,
  bashHelperCommand,
  curlCommand,
  curlStreamCommand,
  deployUrl,
  githubActionsStep,
  gitlabCiJob,
  powershellHelperCommand,
} from '../snippets.ts'

export interface IndexPageOptions {
  /** The instance's public URL (`URL`). */
  url: string
  /** dockhook's version, when the runtime knows it. */
  version?: string | undefined
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!)
}

/** The page's headers: it loads nothing, so it may allow nothing but its own inline style. */
export const INDEX_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
}

const STYLE = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --panel: #f6f8fa; --border: #d1d9e0; --accent: #0b57d0;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9ea8b3; --panel: #161b22; --border: #3d444d; --accent: #79b8ff; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header, main, footer { max-width: 56rem; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 2rem; }
h1 { margin: 0; font-size: 1.9rem; }
h1 .version { color: var(--muted); font-size: 1rem; font-weight: normal; margin-left: .5rem; }
h2 { margin: 2.2rem 0 .4rem; font-size: 1.25rem; }
h3 { margin: 1.2rem 0 .3rem; font-size: 1rem; }
p { margin: .4rem 0; }
.lead, footer { color: var(--muted); }
a { color: var(--accent); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 1.2rem 0 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
code { font: .9em/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
:not(pre) > code { background: var(--panel); border: 1px solid var(--border); border-radius: 4px; padding: 0 .25em; }
pre { background: var(--panel); border: 1px solid var(--border); border-radius: 6px; padding: .75rem 1rem; margin: .3rem 0 1rem; overflow-x: auto; }
pre code { user-select: all; }
pre:focus-visible, a:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
footer { margin-top: 2.5rem; padding-bottom: 2rem; border-top: 1px solid var(--border); padding-top: 1rem; font-size: .9rem; }
`

/** Makes labelled, keyboard-scrollable code blocks with ids unique on one page; a click selects a block for copying. */
function snippetMaker(): (label: string, code: string) => string {
  let count = 0
  return (label, code) => {
    const id = `snippet-${++count}`
    return `<h3 id="${id}">${escapeHtml(label)}</h3>
<pre tabindex="0" aria-labelledby="${id}"><code>${escapeHtml(code)}</code></pre>`
  }
}

/**
 * The index page as one HTML document. Everything interpolated is escaped.
 * @example indexPage({ url: 'https://deploy.example.com', version: '0.1.0' })
 */
export function indexPage(options: IndexPageOptions): string {
  const snippet = snippetMaker()
  const url = options.url.replace(/\/+$/, '')
  const version = options.version ? `<span class="version">v${escapeHtml(options.version)}</span>` : ''
  const token = `<code>${DEPLOY_TOKEN_VARIABLE}</code>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="color-scheme" content="light dark">
<title>dockhook · ${escapeHtml(url)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>dockhook${version}</h1>
<p class="lead">A deploy hook for this Docker host: a CI job or a registry sends a signed deploy token, and the containers it names are pulled and safely recreated or restarted.</p>
<dl>
<dt>Instance URL</dt><dd><code>${escapeHtml(url)}</code></dd>
<dt>Deploy endpoint</dt><dd><code>POST ${escapeHtml(deployUrl(url))}</code></dd>
</dl>
</header>
<main>
<section aria-labelledby="token">
<h2 id="token">1. Make a deploy token</h2>
<p>On the Docker host, open the token generator of the dockhook container (or run <code>dockhook token create --help</code> in a checkout). It prints the token once, together with these snippets ready to paste.</p>
<pre tabindex="0" aria-label="Open the token generator"><code>docker exec -it dockhook cli</code></pre>
<p>Keep the token in your CI system's secret store under the name ${token}; never commit it.</p>
</section>
<section aria-labelledby="curl">
<h2 id="curl">2. Deploy with curl</h2>
${snippet('One line per step, once the deploy has ended (exit code 22 when it failed)', curlCommand(url))}
${snippet('Every step as it happens, one JSON event per line, ending with a "result" line', curlStreamCommand(url))}
</section>
<section aria-labelledby="scripts">
<h2 id="scripts">3. Or let a helper script follow the deploy</h2>
<p>The scripts print each step as it happens and exit with code 0 only when the deploy succeeded. The token is their first argument or the ${token} environment variable.</p>
${snippet('bash (needs only bash and curl)', bashHelperCommand(url))}
${snippet('PowerShell', powershellHelperCommand(url))}
</section>
<section aria-labelledby="github">
<h2 id="github">4. GitHub Actions</h2>
<p>Store the token: ${escapeHtml(CI_SECRET_PLACES.github)}. Then add this step after the one that pushes the image:</p>
${snippet('Workflow step', githubActionsStep(url))}
</section>
<section aria-labelledby="gitlab">
<h2 id="gitlab">5. GitLab CI</h2>
<p>Store the token: ${escapeHtml(CI_SECRET_PLACES.gitlab)}. Then add this job after the one that pushes the image:</p>
${snippet('.gitlab-ci.yml job', gitlabCiJob(url))}
</section>
</main>
<footer>
<p>Registries and git providers can deploy through webhooks at <code>${escapeHtml(url)}/v1/hooks/&lt;provider&gt;</code>; the token generator prints what to enter. Health: <a href="${escapeHtml(url)}/healthz">/healthz</a>.</p>
</footer>
</body>
</html>
`
}
