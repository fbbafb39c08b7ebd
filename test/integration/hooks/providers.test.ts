/**
 * Every webhook provider through the real HTTP route of a real agent, deploying real containers.
 * Tokens are made the way the CLI makes them (`generateToken`), and each delivery carries the token
 * exactly where the CLI tells the user to configure it (`webhookSetup`): URL or header. Signatures
 * are computed here with node:crypto, independently of src/hooks/signatures.ts.
 *
 * Most cases restart a container (fast); the generic hook pulls a newer image and recreates.
 */
import { createHmac } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateToken } from '../../../agent/cli/token.ts'
import type { DeploymentRecord } from '../../../src/deploy.ts'
import { WEBHOOK_BODY_LIMIT_BYTES } from '../../../src/middleware/http-hygiene.ts'
import type { WebhookSetup } from '../../../src/snippets.ts'
import type { HookBinding, HookProvider } from '../../../src/tokens/claims.ts'
import { startTestAgent, type TestAgent } from '../../support/agent.ts'
import { baseImage, buildImage, cleanup, docker, registry, runContainer, trackImage, uniqueName, waitFor } from '../../support/harness.ts'

let t: TestAgent
beforeAll(async () => {
  // This file sends many refused deliveries on purpose; the failure limit has tests of its own.
  t = await startTestAgent({ AUTH_FAILURE_LIMIT: '0' })
})
afterAll(async () => {
  await t?.close()
  await cleanup()
})

/** Every token minted in this file: none may ever show up in the agent's log. */
const minted: string[] = []

interface Delivery {
  headers: Record<string, string>
  body: string
}

/** What a delivery may refer to: the container's image and what makes this delivery new. */
interface Subject {
  /** The image reference the container was created from. */
  image: string
  /** A delivery id unique in this run. */
  id: string
  /** A number unique in this run, for providers that identify a push by its time. */
  serial: number
}

interface ProviderCase {
  provider: HookProvider
  hook?: Omit<HookBinding, 'provider'>
  /** Prepares the container's image; resolves with the reference to run. */
  image(): Promise<string>
  action: 'restart' | 'pull-recreate'
  /** Makes the next valid delivery have something to do (a pull-recreate needs a newer image). */
  beforeDeploy?(image: string, container: string): Promise<void>
  valid(subject: Subject): Delivery
  nonMatching(subject: Subject): Delivery
  /** The provider's ping or test delivery, or traffic it sends that is not about a new image. */
  probe?: { what: string; delivery(subject: Subject): Delivery }
  /** Signatures: `required` (GitHub, Gitea/Forgejo), `optional` (checked when sent), or none at all. */
  signature?: 'required' | 'optional'
  /** Whether a redelivery can be recognised (Quay sends no delivery id, nor anything that tells a resend apart). */
  redeliveryId: boolean
  /** The trigger recorded with the deployment, beyond source and provider. */
  trigger(subject: Subject): Record<string, string>
}

const json = (value: unknown) => JSON.stringify(value)
const commit = (digit: string) => digit.repeat(40)
const digest = `sha256:${'d'.repeat(64)}`
/** The repository part of an image reference (without `:tag`). */
const repositoryOf = (image: string) => image.slice(0, image.lastIndexOf(':'))

/** A local tag of the shared base image: a restart needs no registry, only an image of that name. */
async function localTag(ref: string): Promise<string> {
  trackImage(ref)
  await docker(['tag', baseImage(), ref])
  return ref
}

const gitPush = (ref: string): Record<string, unknown> => ({ ref, before: commit('0'), after: commit('a'), repository: { full_name: 'acme/web' } })

const CASES: ProviderCase[] = [
  {
    provider: 'github',
    hook: { ref: 'refs/heads/main' },
    image: async () => baseImage(),
    action: 'restart',
    valid: ({ id }) => ({ headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': id }, body: json(gitPush('refs/heads/main')) }),
    nonMatching: ({ id }) => ({ headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': id }, body: json(gitPush('refs/heads/feature')) }),
    probe: { what: 'ping', delivery: ({ id }) => ({ headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': id }, body: json({ zen: 'Keep it simple.', hook_id: 1 }) }) },
    signature: 'required',
    redeliveryId: true,
    trigger: ({ id }) => ({ event: 'push', ref: 'refs/heads/main', repository: 'acme/web', delivery: id }),
  },
  {
    provider: 'gitlab',
    hook: { ref: 'refs/heads/main' },
    image: async () => baseImage(),
    action: 'restart',
    valid: ({ id }) => ({ headers: { 'x-gitlab-event': 'Push Hook', 'idempotency-key': id }, body: json({ object_kind: 'push', ...gitPush('refs/heads/main'), project: { path_with_namespace: 'acme/web' } }) }),
    nonMatching: ({ id }) => ({ headers: { 'x-gitlab-event': 'Push Hook', 'idempotency-key': id }, body: json({ object_kind: 'push', ...gitPush('refs/heads/feature') }) }),
    probe: { what: "the Test button's sample of an Issue Hook", delivery: ({ id }) => ({ headers: { 'x-gitlab-event': 'Issue Hook', 'idempotency-key': id }, body: json({ object_kind: 'issue', object_attributes: { title: 'Test' } }) }) },
    signature: 'optional',
    redeliveryId: true,
    trigger: ({ id }) => ({ event: 'push', ref: 'refs/heads/main', repository: 'acme/web', delivery: id }),
  },
  {
    provider: 'gitea',
    hook: { ref: 'refs/heads/main' },
    image: async () => baseImage(),
    action: 'restart',
    valid: ({ id }) => ({ headers: { 'content-type': 'application/json', 'x-gitea-event': 'push', 'x-gitea-delivery': id }, body: json(gitPush('refs/heads/main')) }),
    nonMatching: ({ id }) => ({ headers: { 'content-type': 'application/json', 'x-forgejo-event': 'push', 'x-forgejo-delivery': id }, body: json(gitPush('refs/heads/feature')) }),
    // Gitea's "Test Delivery" is a push of the default branch: it is a real push here, not a probe.
    signature: 'required',
    redeliveryId: true,
    trigger: ({ id }) => ({ event: 'push', ref: 'refs/heads/main', repository: 'acme/web', delivery: id }),
  },
  {
    provider: 'dockerhub',
    image: () => localTag(`dhtest/${uniqueName('hub')}:live`),
    action: 'restart',
    valid: ({ image, serial }) => ({ headers: { 'content-type': 'application/json' }, body: json({ push_data: { tag: 'live', pushed_at: serial, pusher: 'ci' }, repository: { repo_name: repositoryOf(image) } }) }),
    nonMatching: ({ image, serial }) => ({ headers: { 'content-type': 'application/json' }, body: json({ push_data: { tag: 'other', pushed_at: serial }, repository: { repo_name: repositoryOf(image) } }) }),
    redeliveryId: true,
    trigger: ({ image }) => ({ event: 'push', repository: `docker.io/${repositoryOf(image)}`, tag: 'live' }),
  },
  {
    provider: 'distribution',
    image: () => localTag(`${registry()}/${uniqueName('dist')}:live`),
    action: 'restart',
    valid: ({ image, id }) => ({ headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' }, body: json({ events: [registryEvent(image, 'live', id)] }) }),
    nonMatching: ({ image, id }) => ({ headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' }, body: json({ events: [registryEvent(image, 'other', id)] }) }),
    probe: {
      what: 'a blob push and a pull (the registry notifies those too)',
      delivery: ({ image, id }) => ({
        headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
        body: json({ events: [{ ...registryEvent(image, '', `${id}-blob`), target: { mediaType: 'application/octet-stream', digest, repository: repositoryOf(image).split('/').slice(1).join('/') } }, { ...registryEvent(image, 'live', `${id}-pull`), action: 'pull' }] }),
      }),
    },
    redeliveryId: true,
    trigger: ({ image, id }) => ({ event: 'push', repository: repositoryOf(image), tag: 'live', delivery: id }),
  },
  {
    provider: 'harbor',
    image: () => localTag(`harbor.example/dhtest/${uniqueName('harbor')}:live`),
    action: 'restart',
    valid: ({ image, serial }) => ({ headers: { 'content-type': 'application/json' }, body: json(harborEvent('PUSH_ARTIFACT', image, 'live', serial)) }),
    nonMatching: ({ image, serial }) => ({ headers: { 'content-type': 'application/json' }, body: json(harborEvent('PUSH_ARTIFACT', image, 'other', serial)) }),
    probe: { what: 'an artifact pull (Harbor notifies other event types too)', delivery: ({ image, serial }) => ({ headers: { 'content-type': 'application/json' }, body: json(harborEvent('PULL_ARTIFACT', image, 'live', serial)) }) },
    redeliveryId: true,
    trigger: ({ image }) => ({ event: 'PUSH_ARTIFACT', repository: repositoryOf(image), tag: 'live' }),
  },
  {
    provider: 'quay',
    image: () => localTag(`quay.example/dhtest/${uniqueName('quay')}:live`),
    action: 'restart',
    valid: ({ image }) => ({ headers: { 'content-type': 'application/json' }, body: json(quayPush(image, ['live'])) }),
    nonMatching: ({ image }) => ({ headers: { 'content-type': 'application/json' }, body: json(quayPush(image, ['other'])) }),
    redeliveryId: false,
    trigger: ({ image }) => ({ event: 'repo_push', repository: repositoryOf(image), tag: 'live' }),
  },
  {
    provider: 'generic',
    // The one pull-recreate: each deploy finds a newer image in the registry than the container runs.
    image: async () => {
      const ref = `${registry()}/${uniqueName('generic')}:live`
      await buildImage(ref, { content: 'v1', push: true })
      return ref
    },
    beforeDeploy: async (image, container) => {
      const running = (await docker(['inspect', '--format', '{{.Image}}', container])).trim()
      await buildImage(image, { content: uniqueName('newer'), push: true })
      await docker(['tag', running, image])
    },
    action: 'pull-recreate',
    valid: ({ image, id }) => ({ headers: { 'content-type': 'application/json', 'idempotency-key': id }, body: json({ image: repositoryOf(image), tag: 'live' }) }),
    nonMatching: ({ id }) => ({ headers: { 'content-type': 'application/json', 'idempotency-key': id }, body: json({ image: `${registry()}/${uniqueName('elsewhere')}`, tag: 'live' }) }),
    signature: 'optional',
    redeliveryId: true,
    trigger: ({ image, id }) => ({ event: 'generic', repository: repositoryOf(image), tag: 'live', delivery: id }),
  },
]

function registryEvent(image: string, tag: string, id: string) {
  const repository = repositoryOf(image)
  const slash = repository.indexOf('/')
  return {
    id,
    timestamp: new Date().toISOString(),
    action: 'push',
    target: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest, size: 527, repository: repository.slice(slash + 1), tag },
    request: { host: repository.slice(0, slash), method: 'PUT' },
    actor: { name: 'ci' },
  }
}

function harborEvent(type: string, image: string, tag: string, occurAt: number) {
  return {
    type,
    // Harbor's default format has no event id: the time and the digests identify a resend.
    occur_at: occurAt,
    operator: 'robot$ci',
    event_data: { resources: [{ digest, tag, resource_url: `${repositoryOf(image)}:${tag}` }], repository: { name: 'web', namespace: 'dhtest', repo_full_name: 'dhtest/web', repo_type: 'private' } },
  }
}

function quayPush(image: string, tags: string[]) {
  const repository = repositoryOf(image)
  return { repository: repository.split('/').slice(1).join('/'), namespace: 'dhtest', name: 'web', docker_url: repository, homepage: `https://${repository}`, updated_tags: tags }
}

let serial = 1_767_225_600
const subjectFor = (image: string): Subject => ({ image, id: uniqueName('delivery'), serial: ++serial })

/** The signature headers a provider computes with the secret (or signing token) the CLI printed. */
function signatureHeaders(provider: HookProvider, setup: WebhookSetup, delivery: Delivery): Record<string, string> {
  const hex = (secret: string) => createHmac('sha256', secret).update(delivery.body).digest('hex')
  switch (provider) {
    case 'github':
    case 'generic':
      return { 'x-hub-signature-256': `sha256=${hex(setup.secret!)}` }
    case 'gitea':
      return { 'x-gitea-signature': hex(setup.secret!) }
    case 'gitlab': {
      // Standard Webhooks: base64 HMAC of "<id>.<timestamp>.<body>" under the bytes after `whsec_`.
      const key = Buffer.from(setup.signingToken!.slice('whsec_'.length), 'base64')
      const id = delivery.headers['idempotency-key']!
      const timestamp = String(Math.floor(Date.now() / 1000))
      const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${delivery.body}`).digest('base64')
      return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` }
    }
    default:
      return {}
  }
}

interface SendOptions {
  /** Leave the signature out even where the provider signs. */
  unsigned?: boolean
  /** Where the token goes and what signs the body; default: the CLI's setup for this token. */
  setup?: WebhookSetup
}

async function send(c: ProviderCase, setup: WebhookSetup, delivery: Delivery, options: SendOptions = {}) {
  const using = options.setup ?? setup
  const signed = c.signature && !options.unsigned ? signatureHeaders(c.provider, using, delivery) : {}
  const headers = { ...delivery.headers, ...signed, ...(using.header ? { [using.header.name]: using.header.value } : {}) }
  const response = await fetch(using.url, { method: 'POST', headers, body: delivery.body })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** The deployment records the agent wrote for `container` (DATA_DIR/deployments, one file each). */
async function deploymentsOf(container: string): Promise<DeploymentRecord[]> {
  const dir = join(t.dataDir, 'deployments')
  const files = await readdir(dir).catch(() => [])
  const records = await Promise.all(files.filter((f) => f.endsWith('.json')).map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as DeploymentRecord))
  return records.filter((record) => record.containerNames.includes(container))
}

/** Polls the status URL of a 202 answer, with the webhook's own token, until the deployment ends. */
async function finished(statusUrl: string, token: string): Promise<DeploymentRecord> {
  return await waitFor(
    async () => {
      const response = await fetch(statusUrl, { headers: { authorization: `Bearer ${token}` } })
      expect(response.status).toBe(200)
      const record = (await response.json()) as DeploymentRecord
      return record.status === 'queued' || record.status === 'running' ? undefined : record
    },
    { timeoutMs: 30_000 },
  )
}

const state = async (name: string) => (await docker(['inspect', '--format', '{{.Id}} {{.Image}} {{.State.StartedAt}}', name])).trim()

interface Prepared {
  container: string
  image: string
  token: string
  /** What the CLI printed for this token: URL, header, secret or signing token. */
  setup: WebhookSetup
  subject(): Subject
}

const preparing = new Map<HookProvider, Promise<Prepared>>()

/** The provider's container and token, made once for this file whichever test needs them first. */
function prepared(c: ProviderCase): Promise<Prepared> {
  let ready = preparing.get(c.provider)
  if (!ready) {
    ready = (async () => {
      const image = await c.image()
      const { name: container } = await runContainer({ image })
      const made = await generateToken(
        { dataDir: t.dataDir, publicUrl: t.agent.url, now: () => new Date() },
        { containerNames: [container], action: c.action, cleanup: false, expiresIn: 3600, hook: { provider: c.provider, ...c.hook } },
      )
      minted.push(made.token)
      return { container, image, token: made.token, setup: made.webhook!, subject: () => subjectFor(image) }
    })()
    preparing.set(c.provider, ready)
  }
  return ready
}

/** Deploys the provider's container once with a valid delivery and waits for the deployment to end. */
async function deployOnce(c: ProviderCase, p: Prepared, delivery = c.valid(p.subject())) {
  await c.beforeDeploy?.(p.image, p.container)
  const answer = await send(c, p.setup, delivery)
  expect(answer.status, JSON.stringify(answer.body)).toBe(202)
  return { answer, record: await finished(answer.body['status_url'] as string, p.token) }
}

/** Runs `act` and checks that the provider's container was neither deployed nor touched meanwhile. */
async function untouched(p: Prepared, act: () => Promise<void>): Promise<void> {
  const before = { state: await state(p.container), deployments: (await deploymentsOf(p.container)).length }
  await act()
  expect(await state(p.container)).toBe(before.state)
  expect(await deploymentsOf(p.container)).toHaveLength(before.deployments)
}

/** The agent's log lines while `act` runs. */
async function logDuring(act: () => Promise<void>): Promise<string> {
  const from = t.logs.length
  await act()
  return t.logs.slice(from).join('\n')
}

function expectNoToken(log: string, token: string): void {
  const [, , payload] = token.split('.') as [string, string, string]
  expect(log).not.toContain(payload.slice(0, 32))
  expect(log).not.toContain(payload.slice(-32))
  expect(log).not.toMatch(/token=/)
}

describe.each(CASES)('POST /v1/hooks/$provider', (c) => {
  it('a valid delivery deploys the container: 202 with the deployment, whose record names the trigger', async () => {
    const p = await prepared(c)
    const before = await state(p.container)
    const s = p.subject()
    let result: Awaited<ReturnType<typeof deployOnce>> | undefined
    const log = await logDuring(async () => {
      result = await deployOnce(c, p, c.valid(s))
    })
    const { answer, record } = result!
    expect(answer.body).toEqual({ deployment: expect.any(String), containers: [p.container], status_url: `${t.agent.url}/v1/deployments/${answer.body['deployment'] as string}` })
    expect(record).toMatchObject({ status: 'succeeded', action: c.action, containerNames: [p.container], trigger: { source: 'webhook', provider: c.provider, ...c.trigger(s) } })
    const after = await state(p.container)
    expect(after).not.toBe(before)
    // A pull-recreate runs the newer image; a restart keeps the image.
    expect(after.split(' ')[1] === before.split(' ')[1]).toBe(c.action === 'restart')
    expectNoToken(log, p.token)
  })

  it('a wrong or a missing token is refused with 401, nothing is deployed, and the log names neither', async () => {
    const p = await prepared(c)
    const [, , payload] = p.token.split('.') as [string, string, string]
    const forged = p.token.replace(payload, `${payload.slice(0, 20)}${payload[20] === 'A' ? 'B' : 'A'}${payload.slice(21)}`)
    const { header: _header, ...headerless } = p.setup
    const placed: WebhookSetup = p.setup.header
      ? { ...p.setup, header: { ...p.setup.header, value: p.setup.header.value.replace(p.token, forged) } }
      : { ...p.setup, url: p.setup.url.replace(p.token, forged) }
    expect(placed.url + (placed.header?.value ?? '')).toContain(forged)

    const log = await logDuring(() =>
      untouched(p, async () => {
        expect(await send(c, p.setup, c.valid(p.subject()), { setup: placed })).toMatchObject({ status: 401, body: { error: 'bad_signature' } })
        expect(await send(c, p.setup, c.valid(p.subject()), { setup: { ...headerless, url: p.setup.url.split('?')[0]! } })).toMatchObject({ status: 401, body: { error: 'missing' } })
      }),
    )
    expect(log).toMatch(/deploy token rejected.*reason=bad_signature/)
    expectNoToken(log, p.token)
    expectNoToken(log, forged)
  })

  it('an event that does not match gets a 2xx with the reason, and the container is untouched', async () => {
    const p = await prepared(c)
    await untouched(p, async () => {
      const answer = await send(c, p.setup, c.nonMatching(p.subject()))
      expect(answer).toEqual({ status: 200, body: { ignored: expect.any(String) } })
    })
  })

  it('a body that is not JSON is answered 400', async () => {
    const p = await prepared(c)
    const { headers } = c.valid(p.subject())
    expect(await send(c, p.setup, { headers, body: '{"ref": "refs/heads/main", ' })).toMatchObject({ status: 400, body: { error: 'malformed_delivery' } })
  })

  it(`a body over ${WEBHOOK_BODY_LIMIT_BYTES} bytes is answered 413`, async () => {
    const p = await prepared(c)
    const { headers } = c.valid(p.subject())
    const answer = await send(c, p.setup, { headers, body: `{"padding":"${'x'.repeat(WEBHOOK_BODY_LIMIT_BYTES)}"}` }, { unsigned: true })
    expect(answer).toMatchObject({ status: 413, body: { error: 'payload_too_large' } })
  })
})

describe.each(CASES.filter((c) => c.signature))('POST /v1/hooks/$provider, signed with the webhook secret', (c) => {
  it('a signature made with another secret is refused with 401, and nothing is deployed', async () => {
    const p = await prepared(c)
    const wrong: WebhookSetup = {
      ...p.setup,
      ...(p.setup.secret ? { secret: 'another-secret-than-the-one-printed' } : {}),
      ...(p.setup.signingToken ? { signingToken: `whsec_${Buffer.alloc(32, 7).toString('base64')}` } : {}),
    }
    await untouched(p, async () => {
      expect(await send(c, p.setup, c.valid(p.subject()), { setup: wrong })).toMatchObject({ status: 401, body: { error: 'bad_signature' } })
    })
  })

  it(c.signature === 'required' ? 'a delivery without a signature is refused with 401' : 'a delivery without a signature is accepted: the token alone is checked', async () => {
    const p = await prepared(c)
    if (c.signature === 'required') {
      await untouched(p, async () => {
        expect(await send(c, p.setup, c.valid(p.subject()), { unsigned: true })).toMatchObject({ status: 401, body: { error: 'missing_signature' } })
      })
    } else {
      await c.beforeDeploy?.(p.image, p.container)
      const answer = await send(c, p.setup, c.valid(p.subject()), { unsigned: true })
      expect(answer.status).toBe(202)
      expect((await finished(answer.body['status_url'] as string, p.token)).status).toBe('succeeded')
    }
  })
})

describe.each(CASES.filter((c) => c.probe))('POST /v1/hooks/$provider, $probe.what', (c) => {
  it('gets a 2xx with the reason it is ignored, and deploys nothing', async () => {
    const p = await prepared(c)
    await untouched(p, async () => {
      expect(await send(c, p.setup, c.probe!.delivery(p.subject()))).toEqual({ status: 200, body: { ignored: expect.any(String) } })
    })
  })
})

describe.each(CASES.filter((c) => c.redeliveryId))('POST /v1/hooks/$provider, delivered twice', (c) => {
  it('the second delivery with the same id is acknowledged and not deployed again', async () => {
    const p = await prepared(c)
    const delivery = c.valid(p.subject())
    await deployOnce(c, p, delivery)
    await untouched(p, async () => {
      const again = await send(c, p.setup, delivery)
      expect(again.status).toBe(200)
      expect(again.body['ignored']).toMatch(/already received/)
    })
  })
})

describe('POST /v1/hooks/:provider, whatever the provider', () => {
  it('an unknown provider is answered 404', async () => {
    const response = await fetch(`${t.agent.url}/v1/hooks/bitbucket`, { method: 'POST', body: '{}' })
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ error: 'unknown_provider' })
  })

  it('a chunked body without Content-Length is counted, and refused with 413 once over the limit', async () => {
    const made = await generateToken({ dataDir: t.dataDir, publicUrl: t.agent.url, now: () => new Date() }, { containerNames: [uniqueName('none')], action: 'restart', cleanup: false, expiresIn: 3600, hook: { provider: 'distribution' } })
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(made.webhook!.url, { method: 'POST', headers: { authorization: made.webhook!.header!.value, 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      // The agent may answer and close before every chunk is out.
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)))
      const chunk = Buffer.alloc(1024 * 1024, 'x')
      let sent = 0
      const write = (): void => {
        while (sent <= WEBHOOK_BODY_LIMIT_BYTES && !req.destroyed) {
          sent += chunk.length
          if (!req.write(chunk)) return void req.once('drain', write)
        }
        req.end()
      }
      write()
    })
    expect(status).toBe(413)
    expectNoToken(t.logs.join('\n'), made.token)
  })
})

afterAll(() => {
  // Every token of this file, against everything the agent logged during it.
  const log = t.logs.join('\n')
  for (const token of minted) expectNoToken(log, token)
})
