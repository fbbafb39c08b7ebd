/*
 * GitHub (webhook-formats.md §1). The token travels in the payload URL (`?token=`), because GitHub
 * sends no custom headers; every delivery must be signed with the token's webhook secret
 * (`X-Hub-Signature-256`, HMAC-SHA256 over the raw body — the raw form body for form-encoded hooks).
 */
import { z } from 'zod'
import { branchRef, deliveryIds, gitEvent, imageEvent, tagRef } from './events.ts'
import { pushedImage } from './images.ts'
import { findToken, header, ignored, readJson, sha256Hex, validate, ZERO_COMMIT } from './request.ts'
import { verifyHexSignature } from './signatures.ts'
import type { HookProviderModule, HookRequest, ParseOutcome, VerifyOutcome } from './types.ts'

/** Where GitHub's container registry lives; `package_url` names it, this covers payloads without one. */
const GHCR = 'ghcr.io'

const Repository = z.object({ full_name: z.string() }).nullish()

const PushSchema = z.object({
  ref: z.string().min(1),
  after: z.string().nullish(),
  deleted: z.boolean().nullish(),
  repository: Repository,
})

const WorkflowRunSchema = z.object({
  action: z.string(),
  workflow_run: z.object({ conclusion: z.string().nullish(), head_branch: z.string().nullish() }),
  repository: Repository,
})

const ReleaseSchema = z.object({
  action: z.string(),
  release: z.object({ tag_name: z.string().min(1), draft: z.boolean().nullish() }),
  repository: Repository,
})

const PackageSchema = z.object({
  name: z.string().min(1),
  ecosystem: z.string().nullish(),
  package_type: z.string().nullish(),
  owner: z.object({ login: z.string() }).nullish(),
  package_version: z
    .object({
      package_url: z.string().nullish(),
      container_metadata: z.object({ tag: z.object({ name: z.string().nullish(), digest: z.string().nullish() }).nullish() }).nullish(),
    })
    .nullish(),
})

// `registry_package` deliveries carry the same object under their own key (webhook-formats.md §1).
const PackageEventSchema = z.union([
  z.object({ action: z.string(), package: PackageSchema }),
  z.object({ action: z.string(), registry_package: PackageSchema }).transform(({ action, registry_package }) => ({ action, package: registry_package })),
])

const CONTAINER_ECOSYSTEMS = new Set(['container', 'docker'])

/**
 * Checks `X-Hub-Signature-256: sha256=<hex>` over the raw body — for a form-encoded hook, the raw form
 * body, not the JSON inside it. Without the header the outcome depends on `required`.
 */
export async function verifyHubSignature(req: HookRequest, secret: string, required: boolean): Promise<VerifyOutcome> {
  const presented = header(req, 'x-hub-signature-256')
  if (!presented) {
    return required
      ? { ok: false, reason: 'missing_signature', message: 'no X-Hub-Signature-256 header: set the webhook secret printed with the token' }
      : { ok: true, signed: false }
  }
  const hex = sha256Hex(presented)
  if (hex === undefined || !(await verifyHexSignature(secret, req.body, hex))) {
    return { ok: false, reason: 'bad_signature', message: 'X-Hub-Signature-256 does not match the body and the webhook secret of this token' }
  }
  return { ok: true, signed: true }
}

function parse(req: HookRequest): ParseOutcome {
  const event = header(req, 'x-github-event')
  if (!event) return { kind: 'malformed', message: 'no X-GitHub-Event header' }
  const json = readJson(req)
  if (!json.ok) return json.outcome
  const ids = deliveryIds(header(req, 'x-github-delivery'))

  switch (event) {
    case 'ping':
      return { kind: 'ping', reason: 'ping: the webhook is set up' }
    case 'push': {
      const body = validate(PushSchema, json.value, 'push event')
      if (!body.ok) return body.outcome
      const { ref, after, deleted, repository } = body.value
      if (deleted || (after && ZERO_COMMIT.test(after))) return ignored(`push deleted ${ref}`)
      return gitEvent(event, ref, ids, { repository: repository?.full_name })
    }
    case 'workflow_run': {
      const body = validate(WorkflowRunSchema, json.value, 'workflow_run event')
      if (!body.ok) return body.outcome
      const { action, workflow_run: run, repository } = body.value
      if (action !== 'completed') return ignored(`workflow run ${action}, not completed`)
      if (run.conclusion !== 'success') return ignored(`workflow run concluded ${run.conclusion ?? 'without a conclusion'}`)
      if (!run.head_branch) return ignored('the workflow run has no branch')
      return gitEvent(event, branchRef(run.head_branch), ids, { repository: repository?.full_name })
    }
    case 'release': {
      const body = validate(ReleaseSchema, json.value, 'release event')
      if (!body.ok) return body.outcome
      const { action, release, repository } = body.value
      // `released`/`prereleased` follow `published` for the same release: acting on all would deploy twice.
      if (action !== 'published' || release.draft) return ignored(`release ${action}, not published`)
      return gitEvent(event, tagRef(release.tag_name), ids, { repository: repository?.full_name, tag: release.tag_name })
    }
    case 'package':
    case 'registry_package':
      return parsePackage(event, json.value, ids)
    default:
      return ignored(`${event} events do not deploy`)
  }
}

function parsePackage(event: string, value: unknown, ids: string[]): ParseOutcome {
  const body = validate(PackageEventSchema, value, `${event} event`)
  if (!body.ok) return body.outcome
  const { action, package: pkg } = body.value
  if (action !== 'published' && action !== 'updated') return ignored(`package ${action}, not published`)
  const metadata = pkg.package_version?.container_metadata
  const isContainer = [pkg.ecosystem, pkg.package_type].some((kind) => kind && CONTAINER_ECOSYSTEMS.has(kind.toLowerCase()))
  if (!isContainer && !metadata) return ignored(`${pkg.ecosystem ?? pkg.package_type ?? 'this'} package is not a container image`)
  const tag = metadata?.tag?.name
  // GitHub also announces the untagged manifests of a push; they name no tag a container could run.
  if (!tag) return ignored('the package version was published by digest only (no tag)')
  const repository = pkg.package_version?.package_url || (pkg.owner ? `${GHCR}/${pkg.owner.login}/${pkg.name}` : undefined)
  const push = repository ? pushedImage(repository, tag, metadata?.tag?.digest ?? undefined) : undefined
  if (!push) return ignored('the package does not name an image reference')
  return imageEvent(event, [push], ids)
}

export const github: HookProviderModule = {
  name: 'github',
  signs: true,
  tokenFrom: (req) => findToken(req, { query: true }),
  verify: (req, secret) => verifyHubSignature(req, secret, true),
  parse,
}
