import { Pool } from 'undici'
import { generateToken } from '../../agent/cli/token.ts'
import { docker, importBusyboxImage } from '../support/docker.ts'
import { makeDataDir, startAgentProcess } from './agent-process.ts'

const mode = process.argv[2] ?? 'both'
const prefix = `dh-prof-${Date.now()}`
const container = `${prefix}-c`
const ref = `127.0.0.1:5999/${container}:live`
const image = await importBusyboxImage(ref, { content: 'x' })
await docker(['run', '-d', '--name', container, ref])
const dataDir = await makeDataDir(prefix)
const hook = await generateToken({ dataDir, publicUrl: 'http://x', now: () => new Date() }, { containerNames: [container], action: 'restart', cleanup: false, expiresIn: 3600, hook: { provider: 'distribution' } })
const agent = await startAgentProcess(dataDir, { AUTH_FAILURE_LIMIT: '0', DEPLOY_STABLE_SECONDS: '0', ...(process.env.PROF ? { NODE_OPTIONS: '--cpu-prof --cpu-prof-dir=/tmp/hookprof' } : {}) })
const pool = new Pool(agent.url, { connections: 100 })
let serial = 0
const body = (i: number) => JSON.stringify({ events: [{ id: `e${++serial}`, action: 'push', target: i % 2 === 0 && mode !== 'ignored' ? { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: 'sha256:' + 'a'.repeat(64), repository: container, tag: 'live' } : { mediaType: 'application/octet-stream', repository: container, digest: 'sha256:' + 'b'.repeat(64) }, request: { host: '127.0.0.1:5999' } }] })
for (let round = 0; round < 6; round++) {
  const times = await Promise.all(Array.from({ length: 100 }, async (_, i) => {
    const s = performance.now()
    const r = await pool.request({ method: 'POST', path: '/v1/hooks/distribution', headers: { authorization: hook.webhook!.header!.value }, body: body(i) })
    await r.body.text()
    return [performance.now() - s, r.statusCode] as const
  }))
  const ms = times.map((t) => t[0]).sort((a, b) => a - b)
  const h = await Promise.all(Array.from({ length: 100 }, async () => { const s = performance.now(); const r = await pool.request({ method: 'GET', path: '/healthz' }); await r.body.text(); return performance.now() - s }))
  h.sort((a, b) => a - b)
  console.log(`round ${round}: hooks median ${ms[50]!.toFixed(0)} p99 ${ms[98]!.toFixed(0)} | healthz median ${h[50]!.toFixed(0)} p99 ${h[98]!.toFixed(0)}`)
  await new Promise((r) => setTimeout(r, 3000))
}
await pool.close()
await agent.stop()
await docker(['rm', '-f', container])
await docker(['rmi', '-f', image])
