import { Pool } from 'undici'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateToken } from '../../agent/cli/token.ts'
import { loadConfig } from '../../agent/config.ts'
import { startAgent } from '../../agent/server.ts'
import { silentLogger } from '../../src/ports.ts'
import { docker, importBusyboxImage } from '../support/docker.ts'

const prefix = `dh-attr-${Date.now()}`
const container = `${prefix}-c`
const ref = `127.0.0.1:5999/${container}:live`
const image = await importBusyboxImage(ref, { content: 'x' })
await docker(['run', '-d', '--name', container, ref])
const dataDir = await mkdtemp(join(tmpdir(), prefix))
const hook = await generateToken({ dataDir, publicUrl: 'http://x', now: () => new Date() }, { containerNames: [container], action: 'restart', cleanup: false, expiresIn: 3600, hook: { provider: 'distribution' } })
const agent = await startAgent(loadConfig({ PORT: '0', DATA_DIR: dataDir, AUTH_FAILURE_LIMIT: '0', DEPLOY_STABLE_SECONDS: '0' }), silentLogger)
const timings: Record<string, number[]> = { start: [], inspect: [] }
const wrap = (obj: any, key: string, bucket: string) => { const orig = obj[key].bind(obj); obj[key] = async (...a: any[]) => { const s = performance.now(); try { return await orig(...a) } finally { timings[bucket]!.push(performance.now() - s) } } }
wrap(agent.deployer, 'start', 'start')
wrap(agent.engine, 'inspectContainer', 'inspect')
const pool = new Pool(agent.url, { connections: 100 })
let serial = 0
const body = (i: number) => JSON.stringify({ events: [{ id: `e${++serial}`, action: 'push', target: i % 2 === 0 ? { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: 'sha256:' + 'a'.repeat(64), repository: container, tag: 'live' } : { mediaType: 'application/octet-stream', repository: container, digest: 'sha256:' + 'b'.repeat(64) }, request: { host: '127.0.0.1:5999' } }] })
const q = (v: number[], p: number) => { const s = [...v].sort((a, b) => a - b); return s[Math.ceil(p * s.length) - 1]?.toFixed(0) }
for (let round = 0; round < 5; round++) {
  for (const k in timings) timings[k] = []
  const times = await Promise.all(Array.from({ length: 100 }, async (_, i) => {
    const s = performance.now()
    const r = await pool.request({ method: 'POST', path: '/v1/hooks/distribution', headers: { authorization: hook.webhook!.header!.value }, body: body(i) })
    await r.body.text()
    return performance.now() - s
  }))
  console.log(`round ${round}: hooks median ${q(times, 0.5)} p99 ${q(times, 0.99)} | deployer.start median ${q(timings.start!, 0.5)} p99 ${q(timings.start!, 0.99)} | inspect n=${timings.inspect!.length} median ${q(timings.inspect!, 0.5)} p99 ${q(timings.inspect!, 0.99)}`)
  await new Promise((r) => setTimeout(r, 3000))
}
await pool.close()
await agent.close()
await docker(['rm', '-f', container])
await docker(['rmi', '-f', image])
