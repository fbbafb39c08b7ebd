/*
 * One webhook delivery from verified token to answer (DESIGN.md, "Webhooks"): check the signature,
 * read the delivery, drop redeliveries, pick the containers, start the deploy without waiting for
 * it. Every expected outcome is an answer; pings and events that deploy nothing get a 2xx with the
 * reason, so providers neither retry nor disable the hook.
 */
import type { Deployer, DeployTrigger } from '../deploy.ts'
import type { DeployClaims } from '../tokens/claims.ts'
import { deliveryKey, type DeliveryLog } from './deliveries.ts'
import { matchTrigger, needsImages } from './matching.ts'
import type { HookEvent, HookProviderModule, HookRequest } from './types.ts'

export interface HookDeps {
  /** The token's webhook secret: `hookSecretFor(hook key, jti)`. */
  hookSecret(jti: string): Promise<string>
  /** `Config.Image` of each named container that exists (the agent inspects them). */
  containerImages(names: readonly string[]): Promise<ReadonlyMap<string, string>>
  deliveries: DeliveryLog
  deployer: Pick<Deployer, 'start'>
}

export type HookAnswer =
  | { status: 202; body: { deployment: string; containers: string[] } }
  | { status: 200; body: { ignored: string } }
  | { status: 400 | 401 | 404 | 503; body: { error: string; message: string; missing?: string[] } }

/**
 * Handles a delivery whose token `claims` have been verified for `provider`'s endpoint.
 *
 * @example
 * const answer = await receiveHook(github, req, claims, deps)
 * return c.json(answer.body, answer.status)
 */
export async function receiveHook(provider: HookProviderModule, req: HookRequest, claims: DeployClaims, deps: HookDeps): Promise<HookAnswer> {
  const verified = await provider.verify(req, await deps.hookSecret(claims.jti))
  if (!verified.ok) return { status: 401, body: { error: verified.reason, message: verified.message } }

  const parsed = provider.parse(req)
  switch (parsed.kind) {
    case 'malformed':
      return { status: 400, body: { error: 'malformed_delivery', message: parsed.message } }
    case 'ping':
    case 'ignored':
      return ignore(parsed.reason)
  }

  const claim = deps.deliveries.claim(parsed.deliveryIds.map((id) => deliveryKey(provider.name, claims.jti, id)))
  if (!claim) return ignore(`delivery ${parsed.deliveryIds.join(', ')} was already received`)
  try {
    const images = needsImages(parsed) ? await deps.containerImages(claims.containerNames) : new Map<string, string>()
    const match = matchTrigger(parsed, claims, images)
    if (!match.ok) return ignore(match.ignored)

    const started = await deps.deployer.start({
      containerNames: match.containerNames,
      action: claims.action,
      cleanup: claims.cleanup,
      jti: claims.jti,
      trigger: deployTrigger(provider.name, parsed),
    })
    if (started.ok) return { status: 202, body: { deployment: started.deployment.id, containers: match.containerNames } }
    // Not deployed: a retry of this delivery must be able to deploy once the cause is fixed.
    claim.release()
    return started.reason === 'not-found'
      ? { status: 404, body: { error: 'container_not_found', message: started.message, missing: started.missing } }
      : { status: 503, body: { error: 'unavailable', message: started.message } }
  } catch (error) {
    claim.release()
    throw error
  }
}

function ignore(reason: string): HookAnswer {
  return { status: 200, body: { ignored: reason } }
}

function deployTrigger(provider: string, event: HookEvent): DeployTrigger {
  return { source: 'webhook', provider, event: event.event, ...event.summary, delivery: event.deliveryIds[0] }
}
