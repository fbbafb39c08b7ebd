/**
 * src/ runs in workerd without nodejs_compat, and dependencies point inward (DESIGN.md, "Shape"):
 * no Node builtins, no Node globals, nothing from agent/, and only the packages that run on both.
 */
import { readdir, readFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SRC = join(ROOT, 'src')
const AGENT = join(ROOT, 'agent')
const SCRIPT = /\.(?:[cm]?[jt]s|tsx|jsx)$/

// Packages that run in workerd as well as on Node. Adding one is a design decision, not a fix.
const ALLOWED_PACKAGES = new Set(['hono', 'zod', 'paseto'])
const BUILTINS = new Set(builtinModules)

/** Blanks comments (and, with `strings`, the text of '…' and "…" literals) keeping every offset. */
function blank(source: string, { strings }: { strings: boolean }): string {
  const blanked = (text: string) => text.replace(/[^\n]/g, ' ')
  return source.replace(/'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (match) => {
    if (match.startsWith('/')) return blanked(match)
    if (strings && match[0] !== '`') return match[0] + blanked(match.slice(1, -1)) + match[0]
    return match
  })
}

const IMPORTS = [
  /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
  /\bimport\s*(['"])([^'"]+)\1/g,
  /\bimport\s*\(\s*(['"`])([^'"`]+)\1/g,
  /\brequire\s*\(\s*(['"`])([^'"`]+)\1/g,
]
// `.process` / `.Buffer` are someone's property; a bare `process` or `Buffer` is Node's global.
const NODE_GLOBALS: [RegExp, string][] = [
  [/(?<![\w$.])process\s*(?:\?\.|\.|\[)|\bglobalThis\s*(?:\?\.|\.)\s*process\b/g, 'uses the Node global `process`'],
  [/(?<![\w$.])Buffer\b|\bglobalThis\s*(?:\?\.|\.)\s*Buffer\b/g, 'uses the Node global `Buffer`'],
]

function whyNot(specifier: string, file: string): string | undefined {
  if (specifier.startsWith('node:')) return `imports the Node builtin '${specifier}'`
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const target = resolve(dirname(file), specifier)
    return target === AGENT || target.startsWith(AGENT + sep) ? `imports '${specifier}' from agent/` : undefined
  }
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!
  if (BUILTINS.has(name) || BUILTINS.has(specifier)) return `imports the Node builtin '${specifier}'`
  return ALLOWED_PACKAGES.has(name) ? undefined : `imports '${specifier}', which is not one of ${[...ALLOWED_PACKAGES].join(', ')}`
}

/** Everything in one source file (at absolute path `file`) that src/ must not do, as `line: why`. */
function layeringViolations(source: string, file: string): string[] {
  const lineOf = (index: number) => source.slice(0, index).split('\n').length
  const found: [number, string][] = []
  const code = blank(source, { strings: false })
  for (const pattern of IMPORTS) {
    for (const match of code.matchAll(pattern)) {
      const why = whyNot(match[2]!, file)
      if (why) found.push([lineOf(match.index), why])
    }
  }
  const bare = blank(source, { strings: true })
  for (const [pattern, why] of NODE_GLOBALS) {
    for (const match of bare.matchAll(pattern)) found.push([lineOf(match.index), why])
  }
  for (const match of source.matchAll(/^\/\/\/\s*<reference\s+types\s*=\s*["']node["']/gm)) {
    found.push([lineOf(match.index), 'pulls in the Node types'])
  }
  return found.sort((a, b) => a[0] - b[0]).map(([line, why]) => `${line}: ${why}`)
}

describe('the layering checker', () => {
  const file = join(SRC, 'routes', 'example.ts')

  it('finds every kind of violation in a synthetic file', () => {
    const source = [
      "import { readFile } from 'node:fs/promises'",
      "import path from 'path'",
      "import { createHash } from 'crypto'",
      "import type { EngineClient } from '../../agent/docker/engine.ts'",
      "export { loadConfig } from '../../agent/config.ts'",
      "import '../../agent/side-effect.ts'",
      "const undici = await import('undici')",
      "const os = require('os')",
      'import {',
      '  serve,',
      "} from '@hono/node-server'",
      'const port = process.env.PORT',
      "const bytes = Buffer.from('x')",
      'const pid = globalThis.process?.pid',
      '/// <reference types="node" />',
    ].join('\n')
    expect(layeringViolations(source, file)).toEqual([
      "1: imports the Node builtin 'node:fs/promises'",
      "2: imports the Node builtin 'path'",
      "3: imports the Node builtin 'crypto'",
      "4: imports '../../agent/docker/engine.ts' from agent/",
      "5: imports '../../agent/config.ts' from agent/",
      "6: imports '../../agent/side-effect.ts' from agent/",
      "7: imports 'undici', which is not one of hono, zod, paseto",
      "8: imports the Node builtin 'os'",
      "9: imports '@hono/node-server', which is not one of hono, zod, paseto",
      '12: uses the Node global `process`',
      '13: uses the Node global `Buffer`',
      '14: uses the Node global `process`',
      '15: pulls in the Node types',
    ])
  })

  it('lets through what src/ may do, including look-alikes in comments, strings and names', () => {
    const source = [
      "import { Hono } from 'hono'",
      "import { HTTPException } from 'hono/http-exception'",
      "import { z } from 'zod'",
      "import { V4 } from 'paseto'",
      "import type { EngineHealth } from '../ports.ts'",
      "import { agentish } from './agent/helper.ts'",
      '// unlike process.env on Node, bindings arrive as env; no Buffer here',
      '/* import { readFile } from "node:fs" */',
      'const bytes = new ArrayBuffer(8)',
      'const shared = new SharedArrayBuffer(8)',
      'const step = deployment.process.name',
      "const hint = 'set process.env.PORT, or pass a Buffer'",
      "const url = 'https://example.com/path' // a URL is not a comment",
    ].join('\n')
    expect(layeringViolations(source, file)).toEqual([])
  })
})

describe('src/', () => {
  it('runs without Node: no Node imports or globals, nothing from agent/', async () => {
    const files = (await readdir(SRC, { recursive: true })).filter((name) => SCRIPT.test(name)).sort()
    // A checker that reads nothing passes everything.
    expect(files).toEqual(expect.arrayContaining(['app.ts', 'edge.ts', 'ports.ts']))

    const violations: string[] = []
    for (const name of files) {
      const path = join(SRC, name)
      const found = layeringViolations(await readFile(path, 'utf8'), path)
      violations.push(...found.map((v) => `${relative(ROOT, path)}:${v}`))
    }
    expect(violations).toEqual([])
  })
})
