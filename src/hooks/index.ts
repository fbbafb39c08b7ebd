/*
 * The webhook providers by name (`POST /v1/hooks/:provider`). Adding a provider is one module and
 * one line here.
 */
import { HOOK_PROVIDERS, type HookProvider } from '../tokens/claims.ts'
import { distribution } from './distribution.ts'
import { dockerhub } from './dockerhub.ts'
import { generic } from './generic.ts'
import { gitea } from './gitea.ts'
import { github } from './github.ts'
import { gitlab } from './gitlab.ts'
import { harbor } from './harbor.ts'
import { quay } from './quay.ts'
import type { HookProviderModule } from './types.ts'

export const HOOK_PROVIDER_MODULES: Readonly<Record<HookProvider, HookProviderModule>> = {
  github,
  gitlab,
  gitea,
  dockerhub,
  distribution,
  harbor,
  quay,
  generic,
}

/** The module for a `:provider` path segment; undefined (→ 404) for a name that is not one. */
export function findHookProvider(name: string): HookProviderModule | undefined {
  return (HOOK_PROVIDERS as readonly string[]).includes(name) ? HOOK_PROVIDER_MODULES[name as HookProvider] : undefined
}

export type { HookEvent, HookProviderModule, HookRequest, ImagePush, ParseOutcome, Trigger, VerifyOutcome } from './types.ts'
export { createDeliveryLog, deliveryKey, type DeliveryLog } from './deliveries.ts'
export { matchTrigger, needsImages, type MatchOutcome } from './matching.ts'
export { receiveHook, type HookAnswer, type HookDeps } from './receive.ts'
export { gitlabSigningToken } from './gitlab.ts'
