import { describe, expect, it } from 'vitest'
import { escapeHtml, indexPage } from '../../../src/pages/index-page.ts'

const URL = 'https://deploy.example.com'

describe('indexPage', () => {
  it('names the instance, its version and URL, and carries every snippet', () => {
    const page = indexPage({ url: `${URL}/`, version: '1.2.3' })
    expect(page.startsWith('<!doctype html>')).toBe(true)
    expect(page).toContain('<html lang="en">')
    expect(page).toContain('dockhook<span class="version">v1.2.3</span>')
    expect(page).toContain(`<dd><code>${URL}</code></dd>`)
    expect(page).toContain(`<code>POST ${URL}/v1/deploy</code>`)
    // curl, text and NDJSON mode (quotes escaped in the HTML)
    expect(page).toContain(`curl -fsS -X POST &#39;${URL}/v1/deploy&#39; -H &quot;X-Deploy-Token: $DEPLOY_TOKEN&quot;`)
    expect(page).toContain('-H &#39;Accept: application/x-ndjson&#39;')
    // helper scripts
    expect(page).toContain(`curl -fsS &#39;${URL}/s&#39; | bash -s &quot;$DEPLOY_TOKEN&quot;`)
    expect(page).toContain(`iex &quot;&amp; { $(irm &#39;${URL}/pwsh&#39;) } $env:DEPLOY_TOKEN&quot;`)
    // CI systems
    expect(page).toContain('${{ secrets.DEPLOY_TOKEN }}')
    expect(page).toContain('Masked and Protected')
    expect(page).toContain('stage: deploy')
  })

  it('leaves the version out when it is unknown', () => {
    expect(indexPage({ url: URL })).not.toContain('class="version"')
  })

  it('has a light and a dark colour scheme and needs nothing from elsewhere', () => {
    const page = indexPage({ url: URL })
    expect(page).toContain('<meta name="color-scheme" content="light dark">')
    expect(page).toMatch(/@media \(prefers-color-scheme: dark\) \{\s*:root \{[^}]*--bg:/)
    expect(page).not.toMatch(/<script|<link|<img|src=|@import|url\(/i)
  })

  it('gives every code block a label and keyboard focus, with ids unique on the page', () => {
    const page = indexPage({ url: URL })
    const blocks = [...page.matchAll(/<pre([^>]*)>/g)].map((m) => m[1]!)
    expect(blocks.length).toBeGreaterThanOrEqual(7)
    for (const attributes of blocks) {
      expect(attributes).toContain('tabindex="0"')
      expect(attributes).toMatch(/aria-label(ledby)?="[^"]+"/)
    }
    const ids = [...page.matchAll(/ id="([^"]+)"/g)].map((m) => m[1])
    expect(new Set(ids).size).toBe(ids.length)
    for (const [, id] of page.matchAll(/aria-labelledby="([^"]+)"/g)) expect(ids).toContain(id)
    // The same page twice: the ids do not drift (no state kept between renders).
    expect(indexPage({ url: URL })).toBe(page)
  })

  it('escapes the URL and the version wherever they appear', () => {
    const hostile = `https://x.example/<script>alert("1")</script>'&`
    const page = indexPage({ url: hostile, version: '<b>9</b>' })
    expect(page).not.toContain('<script>')
    expect(page).not.toContain('<b>9</b>')
    expect(page).toContain('&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt;')
    expect(page).toContain('v&lt;b&gt;9&lt;/b&gt;')
    // No raw quote from the URL can end an attribute early.
    for (const [, value] of page.matchAll(/href="([^"]*)"/g)) expect(value).not.toMatch(/[<>'"]/)
  })
})

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
    expect(escapeHtml('plain text')).toBe('plain text')
  })
})
