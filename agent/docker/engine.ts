import { Agent, request, type Dispatcher } from 'undici'
import type { z } from 'zod'
import { MAX_API_VERSION, MIN_API_VERSION, compareApiVersions, isApiVersion, negotiateApiVersion } from './api-version.ts'
import { EngineError } from './errors.ts'
import type { EngineEndpoint } from './host.ts'
import { jsonLines } from './json-lines.ts'
import { encodeRegistryAuth, type RegistryCredentials } from './registry-auth.ts'
import {
  ContainerInspectSchema,
  ContainerSummarySchema,
  CreatedContainerSchema,
  DistributionInspectSchema,
  EngineInfoSchema,
  EngineVersionSchema,
  ImageInspectSchema,
  type ContainerInspect,
  type ContainerSummary,
  type CreatedContainer,
  type DistributionInspect,
  type EngineInfo,
  type EngineVersion,
  type ImageInspect,
  type PullProgress,
} from './types.ts'

/**
 * What each accepted status means: `true` for the normal answer, or a word the method returns for
 * a status that is normal in its context (304 "already stopped").
 */
type Accepts = Record<number, true | string>

interface Call {
  method: 'GET' | 'HEAD' | 'POST' | 'DELETE'
  path: string
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  headers?: Record<string, string>
  /** 'any' only for /_ping, whose every answer is inspected by the caller. */
  accepts: Accepts | 'any'
  /** Milliseconds to wait for the answer's headers; stop/restart only answer when they are done. */
  headersTimeoutMs?: number
}

interface Answer {
  status: number
  outcome: true | string
  headers: Dispatcher.ResponseData['headers']
  body: Dispatcher.ResponseData['body']
}

export interface EngineClientOptions {
  /** The newest API version to use; the Engine's maximum wins when it is older. */
  maxApiVersion?: string
  /** Milliseconds before a call without its own timeout gives up waiting for headers. */
  requestTimeoutMs?: number
  /** Milliseconds to wait for a connection. */
  connectTimeoutMs?: number
}

export interface PullOptions {
  auth?: RegistryCredentials | undefined
  platform?: string | undefined
  onProgress?: ((progress: PullProgress) => void) | undefined
}

/** Docker's own default when a container sets no StopTimeout. */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 10
/** How much longer than the container's own stop timeout the client waits for stop/restart to answer. */
const STOP_GRACE_MS = 30_000
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000

/**
 * A client for the Docker Engine HTTP API over one undici connection pool. Build it once per Engine
 * and pass it to whoever needs it. The API version is negotiated on first use (and again after a
 * failed negotiation, so an Engine that comes up later is picked up), and every path carries it.
 */
export class EngineClient {
  readonly endpoint: EngineEndpoint
  readonly #dispatcher: Agent
  readonly #origin: string
  readonly #maxApiVersion: string
  readonly #requestTimeoutMs: number
  #negotiated: Promise<string> | undefined

  constructor(endpoint: EngineEndpoint, options: EngineClientOptions = {}) {
    this.endpoint = endpoint
    this.#maxApiVersion = options.maxApiVersion ?? MAX_API_VERSION
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    const connectTimeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
    if (endpoint.kind === 'unix') {
      this.#origin = 'http://localhost'
      this.#dispatcher = new Agent({ connect: { socketPath: endpoint.socketPath, timeout: connectTimeout } })
    } else {
      this.#origin = endpoint.origin
      this.#dispatcher = new Agent({ connect: { timeout: connectTimeout, ...(endpoint.tls ?? {}) } })
    }
  }

  /** The negotiated API version, e.g. "1.41"; negotiates on the first call. */
  apiVersion(): Promise<string> {
    this.#negotiated ??= this.#negotiate().catch((error: unknown) => {
      this.#negotiated = undefined
      throw error
    })
    return this.#negotiated
  }

  async #negotiate(): Promise<string> {
    const { engineMax } = await this.#ping()
    if (compareApiVersions(engineMax, MIN_API_VERSION) < 0) {
      throw new EngineError('unsupported-version', `the Engine speaks API ${engineMax}, but dockhook needs at least ${MIN_API_VERSION} (Docker Engine 20.10 or newer)`)
    }
    return negotiateApiVersion(engineMax, this.#maxApiVersion)
  }

  async #ping(): Promise<{ engineMax: string }> {
    // Every status is taken here: what answers /_ping with anything but an Engine's "OK" is not an Engine.
    const answer = await this.#send({ method: 'GET', path: '/_ping', accepts: 'any' }, '')
    const text = await answer.body.text()
    const header = answer.headers['api-version']
    const engineMax = Array.isArray(header) ? header[0] : header
    if (answer.status !== 200 || !engineMax || !isApiVersion(engineMax) || text.trim() !== 'OK') {
      throw new EngineError('not-an-engine', `${this.endpoint.description} answered, but not as a Docker Engine (status ${answer.status}, no Api-Version on /_ping)`, { method: 'GET', path: '/_ping', status: answer.status })
    }
    return { engineMax }
  }

  /** Checks the Engine answers; resolves to the negotiated API version. */
  async ping(): Promise<string> {
    await this.#ping()
    return this.apiVersion()
  }

  async version(): Promise<EngineVersion> {
    return this.#json({ method: 'GET', path: '/version', accepts: { 200: true } }, EngineVersionSchema)
  }

  async info(): Promise<EngineInfo> {
    return this.#json({ method: 'GET', path: '/info', accepts: { 200: true } }, EngineInfoSchema)
  }

  async listContainers(options: { all?: boolean; filters?: Record<string, string[]> } = {}): Promise<ContainerSummary[]> {
    const query = { all: options.all ?? false, filters: options.filters ? JSON.stringify(options.filters) : undefined }
    const list = await this.#json({ method: 'GET', path: '/containers/json', query, accepts: { 200: true } }, ContainerSummarySchema.array())
    return list
  }

  /** Inspects a container; undefined when it does not exist. */
  async inspectContainer(idOrName: string): Promise<ContainerInspect | undefined> {
    const answer = await this.#call({ method: 'GET', path: `/containers/${encodeURIComponent(idOrName)}/json`, accepts: { 200: true, 404: 'missing' } })
    if (answer.outcome === 'missing') return discard(answer, undefined)
    return parseJson(answer, ContainerInspectSchema, this.#where('GET', '/containers/{id}/json'))
  }

  /** Creates a container; `platform` is `os[/arch[/variant]]` (API ≥ 1.41). */
  async createContainer(options: { name?: string; platform?: string; body: Record<string, unknown> }): Promise<CreatedContainer> {
    return this.#json(
      { method: 'POST', path: '/containers/create', query: { name: options.name, platform: options.platform }, body: options.body, accepts: { 201: true } },
      CreatedContainerSchema,
    )
  }

  async startContainer(id: string): Promise<'started' | 'already-started'> {
    const answer = await this.#call({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/start`, accepts: { 204: 'started', 304: 'already-started' } })
    return discard(answer, answer.outcome === 'already-started' ? 'already-started' : 'started')
  }

  /**
   * Stops a container. Without `timeoutSeconds` the Engine uses the container's own StopTimeout and
   * StopSignal; `expectedTimeoutSeconds` only sizes how long the client waits for the answer.
   */
  async stopContainer(id: string, options: { timeoutSeconds?: number; expectedTimeoutSeconds?: number } = {}): Promise<'stopped' | 'already-stopped'> {
    const answer = await this.#call({
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/stop`,
      query: { t: options.timeoutSeconds },
      accepts: { 204: 'stopped', 304: 'already-stopped' },
      headersTimeoutMs: stopWaitMs(options.timeoutSeconds ?? options.expectedTimeoutSeconds),
    })
    return discard(answer, answer.outcome === 'already-stopped' ? 'already-stopped' : 'stopped')
  }

  async restartContainer(id: string, options: { timeoutSeconds?: number; expectedTimeoutSeconds?: number } = {}): Promise<void> {
    const answer = await this.#call({
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/restart`,
      query: { t: options.timeoutSeconds },
      accepts: { 204: true },
      headersTimeoutMs: stopWaitMs(options.timeoutSeconds ?? options.expectedTimeoutSeconds),
    })
    await discard(answer, undefined)
  }

  async renameContainer(id: string, newName: string): Promise<void> {
    const answer = await this.#call({ method: 'POST', path: `/containers/${encodeURIComponent(id)}/rename`, query: { name: newName }, accepts: { 204: true } })
    await discard(answer, undefined)
  }

  /** Removes a container; resolves 'missing' when it was already gone. Volumes are kept unless asked. */
  async removeContainer(id: string, options: { force?: boolean; volumes?: boolean } = {}): Promise<'removed' | 'missing'> {
    const answer = await this.#call({
      method: 'DELETE',
      path: `/containers/${encodeURIComponent(id)}`,
      query: { force: options.force ?? false, v: options.volumes ?? false },
      accepts: { 204: 'removed', 404: 'missing' },
    })
    return discard(answer, answer.outcome === 'missing' ? 'missing' : 'removed')
  }

  async connectNetwork(network: string, containerId: string, endpointConfig: Record<string, unknown> = {}): Promise<void> {
    const answer = await this.#call({
      method: 'POST',
      path: `/networks/${encodeURIComponent(network)}/connect`,
      body: { Container: containerId, EndpointConfig: endpointConfig },
      accepts: { 200: true },
    })
    await discard(answer, undefined)
  }

  /** Inspects an image by ID or reference; undefined when the Engine has no such image. */
  async inspectImage(idOrReference: string): Promise<ImageInspect | undefined> {
    const answer = await this.#call({ method: 'GET', path: `/images/${encodeImageName(idOrReference)}/json`, accepts: { 200: true, 404: 'missing' } })
    if (answer.outcome === 'missing') return discard(answer, undefined)
    return parseJson(answer, ImageInspectSchema, this.#where('GET', '/images/{name}/json'))
  }

  /**
   * Pulls `repository:tag` and reads the progress stream to its end (abandoning it would abort the
   * pull). An error line inside the 200 stream fails the pull with the registry's message.
   */
  async pullImage(repository: string, tag: string, options: PullOptions = {}): Promise<void> {
    const headers: Record<string, string> = options.auth ? { 'x-registry-auth': encodeRegistryAuth(options.auth) } : {}
    const answer = await this.#call({
      method: 'POST',
      path: '/images/create',
      // `tag` is always sent: without it the Engine pulls every tag of the repository.
      query: { fromImage: repository, tag, platform: options.platform },
      headers,
      accepts: { 200: true },
      headersTimeoutMs: this.#requestTimeoutMs,
    })
    for await (const line of jsonLines(answer.body)) {
      const failure = streamError(line)
      if (failure) {
        await answer.body.dump().catch(() => {})
        throw new EngineError('stream', failure, this.#where('POST', '/images/create'))
      }
      if (typeof line.status === 'string') {
        options.onProgress?.({
          status: line.status,
          ...(typeof line.id === 'string' ? { id: line.id } : {}),
          ...(typeof line.progress === 'string' ? { progress: line.progress } : {}),
        })
      }
    }
  }

  /** Removes an image by ID without force; 'in-use' (409) is normal when a container still uses it. */
  async removeImage(id: string): Promise<'removed' | 'in-use' | 'missing'> {
    const answer = await this.#call({ method: 'DELETE', path: `/images/${encodeImageName(id)}`, query: { force: false }, accepts: { 200: 'removed', 409: 'in-use', 404: 'missing' } })
    return discard(answer, answer.outcome as 'removed' | 'in-use' | 'missing')
  }

  /** Asks the registry (through the Engine) for the digest a tag points at now. */
  async distributionInspect(reference: string, auth?: RegistryCredentials): Promise<DistributionInspect> {
    return this.#json(
      { method: 'GET', path: `/distribution/${encodeImageName(reference)}/json`, headers: auth ? { 'x-registry-auth': encodeRegistryAuth(auth) } : {}, accepts: { 200: true } },
      DistributionInspectSchema,
    )
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.#dispatcher.close()
  }

  async #json<T>(call: Call, schema: z.ZodType<T>): Promise<T> {
    const answer = await this.#call(call)
    return parseJson(answer, schema, this.#where(call.method, call.path))
  }

  async #call(call: Call): Promise<Answer> {
    const version = await this.apiVersion()
    return this.#send(call, `/v${version}`)
  }

  async #send(call: Call, prefix: string): Promise<Answer> {
    const url = new URL(prefix + call.path, this.#origin)
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value))
    }
    const headers: Record<string, string> = { ...call.headers }
    let body: string | undefined
    if (call.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(call.body)
    }
    let response: Dispatcher.ResponseData
    try {
      response = await request(url, {
        dispatcher: this.#dispatcher,
        method: call.method,
        headers,
        body,
        headersTimeout: call.headersTimeoutMs ?? this.#requestTimeoutMs,
        // Streams (pull) may stay quiet for a long time between lines; the headers timeout bounds the wait for the Engine to start answering.
        bodyTimeout: 0,
      })
    } catch (cause) {
      throw new EngineError('unreachable', transportMessage(cause, this.endpoint.description), { method: call.method, path: call.path, cause })
    }
    const outcome = call.accepts === 'any' ? true : call.accepts[response.statusCode]
    if (outcome === undefined) {
      const message = await engineMessage(response.body)
      throw new EngineError('status', message || `unexpected status ${response.statusCode}`, { method: call.method, path: call.path, status: response.statusCode })
    }
    return { status: response.statusCode, outcome, headers: response.headers, body: response.body }
  }

  #where(method: string, path: string): { method: string; path: string } {
    return { method, path }
  }
}

function stopWaitMs(timeoutSeconds: number | undefined): number {
  return Math.max(0, timeoutSeconds ?? DEFAULT_STOP_TIMEOUT_SECONDS) * 1000 + STOP_GRACE_MS
}

/** Image names may contain `/` and `:`; the Engine routes `/images/{name}/json` with slashes intact. */
function encodeImageName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/')
}

async function discard<T>(answer: Answer, value: T): Promise<T> {
  await answer.body.dump()
  return value
}

async function parseJson<T>(answer: Answer, schema: z.ZodType<T>, where: { method: string; path: string }): Promise<T> {
  const text = await answer.body.text()
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new EngineError('protocol', 'the Engine answered with something that is not JSON', { ...where, status: answer.status, cause })
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new EngineError('protocol', `unexpected answer from the Engine (${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'})`, { ...where, status: answer.status })
  }
  return parsed.data
}

async function engineMessage(body: Dispatcher.ResponseData['body']): Promise<string> {
  const text = (await body.text().catch(() => '')).trim()
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string') return parsed.message
  } catch {
    // not JSON: the raw text (truncated) is the best message there is
  }
  return text.slice(0, 500)
}

function streamError(line: Record<string, unknown>): string | undefined {
  const detail = line.errorDetail
  if (detail && typeof detail === 'object' && 'message' in detail && typeof detail.message === 'string') return detail.message
  if (typeof line.error === 'string') return line.error
  return undefined
}

function transportMessage(cause: unknown, where: string): string {
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : ''
  switch (code) {
    case 'ENOENT':
      return `cannot connect to the Docker Engine at ${where}: the socket does not exist (is dockerd running?)`
    case 'ECONNREFUSED':
      return `cannot connect to the Docker Engine at ${where}: connection refused (is dockerd running?)`
    case 'EACCES':
      return `cannot connect to the Docker Engine at ${where}: permission denied (is this user in the docker group?)`
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `cannot connect to the Docker Engine at ${where}: connection timed out`
    case 'UND_ERR_HEADERS_TIMEOUT':
      return `the Docker Engine at ${where} did not answer in time`
    case 'UND_ERR_SOCKET':
    case 'ECONNRESET':
      return `the connection to the Docker Engine at ${where} was closed unexpectedly`
    default:
      return `cannot reach the Docker Engine at ${where}: ${cause instanceof Error ? cause.message : String(cause)}`
  }
}
