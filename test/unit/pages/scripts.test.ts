/*
 * The helper scripts' text, and the bash script run for real against a stand-in for the deploy
 * endpoint, so every way a deploy can end is covered without Docker (the real agent is exercised in
 * test/integration/helper-scripts.test.ts). PowerShell is not installed here: its script is checked
 * as text only.
 */
import { spawn } from 'node:child_process'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bashScript, powershellScript } from '../../../src/pages/scripts.ts'

const TOKEN = 'v4.public.eyJjb250YWluZXJOYW1lcyI6WyJ3ZWIiXX0.sig'

describe('script text', () => {
  it('fills in the URL and the timeout and leaves no placeholder', () => {
    for (const script of [bashScript({ url: 'https://deploy.example.com/', timeoutSeconds: 77 }), powershellScript({ url: 'https://deploy.example.com/', timeoutSeconds: 77 })]) {
      expect(script).toContain("'https://deploy.example.com/v1/deploy'")
      expect(script).toMatch(/(timeout|\$timeoutSeconds) ?= ?77\n/)
      expect(script).not.toMatch(/\{\{\s*\w+\s*\}\}|__[A-Z]+__|undefined|NaN|\[object/)
    }
  })

  it('quotes a URL so that it stays one literal string in each language', () => {
    const url = "https://deploy.example.com/it's"
    expect(bashScript({ url, timeoutSeconds: 5 })).toContain(`local url='https://deploy.example.com/it'\\''s/v1/deploy'`)
    expect(powershellScript({ url, timeoutSeconds: 5 })).toContain(`$url = 'https://deploy.example.com/it''s/v1/deploy'`)
  })

  it('refuses a timeout that is not a whole number of seconds', () => {
    for (const timeoutSeconds of [0, -1, 1.5, Number.NaN]) {
      expect(() => bashScript({ url: 'https://x.example', timeoutSeconds })).toThrow(RangeError)
      expect(() => powershellScript({ url: 'https://x.example', timeoutSeconds })).toThrow(RangeError)
    }
  })

  it('PowerShell: takes the token as the first argument or from DEPLOY_TOKEN, streams NDJSON, exits non-zero on failure', () => {
    const script = powershellScript({ url: 'https://deploy.example.com', timeoutSeconds: 300 })
    const code = script.split('\n').filter((line) => line.trim() && !line.trimStart().startsWith('#'))
    // `iex "& { <script> } <token>"` makes the script a script block: param() must come first.
    expect(code[0]).toBe('param([string]$Token = $env:DEPLOY_TOKEN)')
    expect(script).toContain("TryAddWithoutValidation('Accept', 'application/x-ndjson')")
    expect(script).toContain('HttpCompletionOption]::ResponseHeadersRead')
    expect(script).toContain('ConvertFrom-Json')
    expect([...script.matchAll(/\bexit (\d)\b/g)].map((m) => m[1]).sort()).toEqual(['0', '1', '2', '3', '4', '4', '4'])
    // Balanced braces and parentheses outside strings and comments: a cheap guard against a broken edit.
    const stripped = code.join('\n').replace(/'(?:[^']|'')*'|"(?:[^"`]|`.)*"/g, '')
    for (const [open, close] of [['{', '}'], ['(', ')']] as const) {
      expect(stripped.split(open).length, open).toBe(stripped.split(close).length)
    }
  })
})

/** A stand-in for POST /v1/deploy: each test says how it answers. */
type Handler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>
let handler: Handler = (_request, response) => {
  response.end()
}
const seen: { token?: string | undefined; accept?: string | undefined }[] = []
const server = createServer((request, response) => {
  seen.push({ token: request.headers['x-deploy-token'] as string | undefined, accept: request.headers.accept })
  void handler(request, response)
})
let base = ''

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** `curl … /s | bash -s <args>`: the script arrives on bash's stdin, as it does for users. */
function runBash(script: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-s', ...args], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(script)
  })
}

const script = (timeoutSeconds = 10) => bashScript({ url: base, timeoutSeconds })
const TIME = '2026-03-01T12:00:00.000Z'

function ndjson(response: ServerResponse, events: object[], end = true): void {
  response.writeHead(200, { 'content-type': 'application/x-ndjson' })
  for (const event of events) response.write(`${JSON.stringify(event)}\n`)
  if (end) response.end()
}

describe('bash script against a stand-in endpoint', () => {
  it('prints each step, decodes JSON strings, skips pull progress off a terminal, and exits 0 on an ok result', async () => {
    seen.length = 0
    handler = (_request, response) =>
      ndjson(response, [
        { type: 'log', time: TIME, message: 'pulling "registry.example/app:v2" \\ 50% é', target: 'web', level: 'info' },
        { type: 'progress', time: TIME, target: 'web', message: 'Downloading 1.2MB/3MB' },
        { type: 'log', time: TIME, message: 'line one\nline two\u001b[31m', level: 'warn' },
        { type: 'target', time: TIME, target: 'web', status: 'succeeded', message: 'now runs sha256:abc' },
        { type: 'result', ok: true, status: 'succeeded', deployment: 'dep-1', targets: [{ container: 'web', status: 'succeeded', message: '"ok": false, "type":"log"' }] },
      ])
    const run = await runBash(script(), [TOKEN])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout.split('\n')).toEqual([
      `Deploying through ${base}/v1/deploy (timeout 10 s)`,
      `${TIME} - web: pulling "registry.example/app:v2" \\ 50% é`,
      `${TIME} - line one`,
      'line two [31m',
      `${TIME} - web: succeeded - now runs sha256:abc`,
      'Deployment dep-1 succeeded',
      '',
    ])
    expect(seen).toEqual([{ token: TOKEN, accept: 'application/x-ndjson' }])
  })

  it('takes the token from DEPLOY_TOKEN when no argument is given', async () => {
    seen.length = 0
    handler = (_request, response) => ndjson(response, [{ type: 'result', ok: true, status: 'succeeded', deployment: 'dep-2', targets: [] }])
    const run = await runBash(script(), [], { DEPLOY_TOKEN: TOKEN })
    expect(run.code).toBe(0)
    expect(seen[0]?.token).toBe(TOKEN)
  })

  it('exits 1 with the status when the result is not ok', async () => {
    handler = (_request, response) =>
      ndjson(response, [
        { type: 'target', time: TIME, target: 'web', status: 'rolled-back', message: 'the new container exited with code 1' },
        { type: 'result', ok: false, status: 'rolled-back', deployment: 'dep-3', targets: [{ container: 'web', status: 'rolled-back' }] },
      ])
    const run = await runBash(script(), [TOKEN])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(`${TIME} - web: rolled-back - the new container exited with code 1`)
    expect(run.stderr).toBe('Deployment dep-3 failed (status: rolled-back)\n')
  })

  it.each([
    [401, { error: 'expired', message: 'the token expired at 2026-01-01T00:00:00Z' }, 'HTTP 401: the token expired at 2026-01-01T00:00:00Z (expired)'],
    [404, { error: 'container_not_found', message: 'no container named web', missing: ['web'] }, 'HTTP 404: no container named web (container_not_found)'],
    [503, { error: 'unavailable', message: 'the agent is shutting down' }, 'HTTP 503: the agent is shutting down (unavailable)'],
  ])('exits 3 with the reason when the request is refused with %i', async (status, body, reason) => {
    handler = (_request, response) => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(body))
    }
    const run = await runBash(script(), [TOKEN])
    expect(run.code).toBe(3)
    expect(run.stderr).toBe(`dockhook refused the deploy: ${reason}\n`)
    expect(run.stdout + run.stderr).not.toContain(TOKEN)
  })

  it('exits 3 with the body when a proxy answers with something that is not JSON', async () => {
    handler = (_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html' })
      response.end('<html>502 Bad Gateway</html>\n')
    }
    const run = await runBash(script(), [TOKEN])
    expect(run.code).toBe(3)
    expect(run.stderr).toBe('dockhook refused the deploy: HTTP 502: <html>502 Bad Gateway</html>\n')
  })

  it('exits 4 when the answer ends without a result', async () => {
    handler = (_request, response) => ndjson(response, [{ type: 'log', time: TIME, message: 'pulling', level: 'info' }])
    const run = await runBash(script(), [TOKEN])
    expect(run.code).toBe(4)
    expect(run.stdout).toContain(`${TIME} - pulling`)
    expect(run.stderr).toContain("the answer ended without the deployment's result (HTTP 200, curl exit code 0)")
  })

  it('exits 4 when the connection breaks off mid-stream', async () => {
    handler = (_request, response) => {
      ndjson(response, [{ type: 'log', time: TIME, message: 'pulling', level: 'info' }], false)
      setImmediate(() => response.destroy())
    }
    const run = await runBash(script(), [TOKEN])
    expect(run.code).toBe(4)
    expect(run.stderr).toContain("the answer ended without the deployment's result (HTTP 200, curl exit code 18)")
  })

  it('exits 4 when nothing listens at the URL', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`
    await new Promise((resolve) => closed.close(resolve))
    const run = await runBash(bashScript({ url, timeoutSeconds: 10 }), [TOKEN])
    expect(run.code).toBe(4)
    expect(run.stderr).toContain(`dockhook: could not reach ${url}/v1/deploy (curl exit code 7)`)
  })

  it('exits 4 when the deploy outlasts SCRIPT_TIMEOUT', async () => {
    // The shortest timeout there is (1 s): curl's --max-time has no clock to inject.
    handler = (_request, response) => ndjson(response, [{ type: 'log', time: TIME, message: 'waiting for health', level: 'info' }], false)
    const run = await runBash(script(1), [TOKEN])
    expect(run.code).toBe(4)
    expect(run.stdout).toContain(`${TIME} - waiting for health`)
    expect(run.stderr).toContain('dockhook: no result within 1 s; the deploy may still be running on the host')
  })

  it('exits 2 without a token, sending nothing', async () => {
    seen.length = 0
    const run = await runBash(script(), [], { DEPLOY_TOKEN: ' ' })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('no deploy token: pass it as the first argument or set DEPLOY_TOKEN')
    expect(seen).toEqual([])
  })

  it('runs nothing when the download was cut short', async () => {
    seen.length = 0
    handler = (_request, response) => ndjson(response, [{ type: 'result', ok: true, status: 'succeeded', deployment: 'dep-4', targets: [] }])
    const full = script()
    for (const cut of [0.25, 0.5, 0.75, 0.99]) {
      const run = await runBash(full.slice(0, Math.floor(full.length * cut)), [TOKEN])
      expect(run.code, `cut at ${cut}`).not.toBe(0)
    }
    expect(seen).toEqual([])
  })
})
