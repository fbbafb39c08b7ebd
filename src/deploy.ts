/*
 * The Deployer port: what the HTTP routes ask of whoever deploys (the Node agent on a host, or the
 * edge gateway relaying to one). Shapes here are the public contract of `/v1/deployments/:id` and
 * of the NDJSON stream of `POST /v1/deploy`.
 */

export type DeployActionName = 'pull-recreate' | 'recreate' | 'restart'

/** What started a deployment, recorded with it (webhooks fill in more than a plain POST). */
export interface DeployTrigger {
  source: 'api' | 'webhook'
  provider?: string
  event?: string
  repository?: string
  tag?: string
  ref?: string
  delivery?: string
}

export interface DeployRequest {
  containerNames: string[]
  action: DeployActionName
  cleanup: boolean
  /** The token's id: only the holder of the same token may read the deployment back. */
  jti: string
  trigger: DeployTrigger
}

export type DeploymentStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'rolled-back'

/**
 * One target's outcome. `up-to-date` and `succeeded` are successes; `rolled-back` means the new
 * container failed and the old one was put back; `not-updatable` means nothing was touched.
 */
export type TargetStatus = 'pending' | 'running' | 'succeeded' | 'up-to-date' | 'failed' | 'rolled-back' | 'not-updatable'

export interface TargetOutcome {
  container: string
  status: TargetStatus
  message?: string
}

export interface LogLine {
  time: string
  message: string
  target?: string
  level: 'info' | 'warn' | 'error'
}

export type DeployEvent =
  | ({ type: 'log' } & LogLine)
  | { type: 'progress'; time: string; target: string; message: string }
  | { type: 'target'; time: string; target: string; status: TargetStatus; message?: string }

export interface DeploymentRecord {
  id: string
  status: DeploymentStatus
  action: DeployActionName
  cleanup: boolean
  containerNames: string[]
  trigger: DeployTrigger
  createdAt: string
  finishedAt?: string
  targets: TargetOutcome[]
  log: LogLine[]
}

/** The owner's view of a record: `jti` is kept out of what clients see. */
export interface StoredDeployment extends DeploymentRecord {
  jti: string
}

export interface Deployment {
  id: string
  /** Every event from the start (replayed), then live ones, until the deployment ends. */
  events(): AsyncIterable<DeployEvent>
  /** Resolves when the deployment has ended, whatever its outcome. */
  done: Promise<DeploymentRecord>
}

export type StartResult =
  | { ok: true; deployment: Deployment }
  | { ok: false; reason: 'not-found'; message: string; missing: string[] }
  | { ok: false; reason: 'unavailable'; message: string }

export interface Deployer {
  /** Checks that every named container exists (nothing is touched otherwise), then starts. */
  start(request: DeployRequest): Promise<StartResult>
  /** A deployment by id, also after a restart of the agent; undefined when unknown. */
  get(id: string): Promise<StoredDeployment | undefined>
}

export const SUCCESS_STATUSES: readonly TargetStatus[] = ['succeeded', 'up-to-date']

/** The deployment's status from its targets' outcomes. */
export function overallStatus(targets: readonly TargetOutcome[]): DeploymentStatus {
  if (targets.every((t) => SUCCESS_STATUSES.includes(t.status))) return 'succeeded'
  const failed = targets.filter((t) => !SUCCESS_STATUSES.includes(t.status))
  return failed.every((t) => t.status === 'rolled-back') ? 'rolled-back' : 'failed'
}
