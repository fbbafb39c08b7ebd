import type { Context } from 'hono'
import { stream } from 'hono/streaming'
import type { DeployEvent, Deployer, DeploymentRecord, DeployRequest } from '../deploy.ts'

export const NDJSON = 'application/x-ndjson'

/** How the client asked to be answered (DESIGN.md, "HTTP"). */
export type AnswerMode = 'text' | 'ndjson' | 'async'

export function answerMode(headers: { accept?: string | undefined; prefer?: string | undefined }): AnswerMode {
  if (headers.prefer && /(^|[,;\s])respond-async($|[,;\s])/i.test(headers.prefer)) return 'async'
  if (headers.accept?.toLowerCase().includes(NDJSON)) return 'ndjson'
  return 'text'
}

/** docker-deploy-api's line format: `<ISO time> - <message>`. */
export function textLine(event: DeployEvent): string | undefined {
  if (event.type === 'progress') return undefined
  if (event.type === 'target') return `${event.time} - ${event.target}: ${event.status}${event.message ? ` - ${event.message}` : ''}`
  return `${event.time} - ${event.target && !event.message.includes(event.target) ? `${event.target}: ` : ''}${event.message}`
}

function httpStatusOf(record: DeploymentRecord): 200 | 500 {
  return record.status === 'succeeded' ? 200 : 500
}

function resultEvent(record: DeploymentRecord) {
  return { type: 'result', ok: record.status === 'succeeded', status: record.status, deployment: record.id, targets: record.targets }
}

/**
 * Starts a deployment and answers in the mode the client asked for: plain text lines once it has
 * ended (status 200 only when every target succeeded), NDJSON events as they happen ending with a
 * `result` event, or 202 at once with where to read the status.
 */
export async function startAndAnswer(c: Context, deployer: Deployer, request: DeployRequest, statusUrl: (id: string) => string): Promise<Response> {
  const mode = answerMode({ accept: c.req.header('accept'), prefer: c.req.header('prefer') })
  const started = await deployer.start(request)
  if (!started.ok) {
    const status = started.reason === 'not-found' ? 404 : 503
    if (mode === 'text') return c.text(`${new Date().toISOString()} - ${started.message}\n`, status)
    return c.json({ error: started.reason === 'not-found' ? 'container_not_found' : 'unavailable', message: started.message, ...(started.reason === 'not-found' ? { missing: started.missing } : {}) }, status)
  }
  const { deployment } = started
  c.header('x-deployment-id', deployment.id)

  if (mode === 'async') {
    c.header('location', statusUrl(deployment.id))
    return c.json({ deployment: deployment.id, status_url: statusUrl(deployment.id) }, 202)
  }

  if (mode === 'ndjson') {
    c.header('content-type', NDJSON)
    c.header('cache-control', 'no-store')
    // Proxies (nginx) buffer responses unless told otherwise, which would defeat live progress.
    c.header('x-accel-buffering', 'no')
    return stream(c, async (out) => {
      for await (const event of deployment.events()) await out.write(`${JSON.stringify(event)}\n`)
      await out.write(`${JSON.stringify(resultEvent(await deployment.done))}\n`)
    })
  }

  const lines: string[] = []
  for await (const event of deployment.events()) {
    const line = textLine(event)
    if (line) lines.push(line)
  }
  const record = await deployment.done
  return c.text(`${lines.join('\n')}\n`, httpStatusOf(record))
}
