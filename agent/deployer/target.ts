import type { DeployActionName, TargetOutcome } from '../../src/deploy.ts'
import { isImageId, parseImageReference, repositoryName } from '../../src/image-reference.ts'
import { DEFAULT_STOP_TIMEOUT_SECONDS, type EngineClient } from '../docker/engine.ts'
import type { ContainerInspect, ImageInspect, PullProgress } from '../docker/types.ts'
import type { CredentialResolver } from './credentials.ts'
import { waitUntilUp } from './health.ts'
import { recreateContainer, type RecreateContext } from './recreate.ts'
import { messageOf } from '../../src/errors.ts'

export interface TargetContext extends Omit<RecreateContext, 'log'> {
  credentials: CredentialResolver
  /** Shares one pull among every target that needs the same reference at the same time. */
  pullOnce: (reference: string, pull: () => Promise<void>) => Promise<void>
}

export interface TargetReporter {
  log(message: string, level?: 'info' | 'warn' | 'error'): void
  progress(message: string): void
}

/** `os/arch[/variant]` of an image, for pull and create (a pull without it may switch architecture). */
export function imagePlatform(image: ImageInspect | undefined): string | undefined {
  if (!image?.Os || !image.Architecture) return undefined
  return [image.Os, image.Architecture, image.Variant].filter(Boolean).join('/')
}

function describeProgress(line: PullProgress): string {
  return [line.id, line.status, line.progress].filter(Boolean).join(' ')
}

/**
 * Deploys one container as the token says and reports its outcome. Never throws: every failure is
 * an outcome, and a failure before the old container is stopped leaves it untouched.
 */
export async function deployTarget(ctx: TargetContext, name: string, action: DeployActionName, cleanup: boolean, report: TargetReporter): Promise<TargetOutcome> {
  const outcome = (status: TargetOutcome['status'], message: string): TargetOutcome => ({ container: name, status, message })
  try {
    const container = await ctx.engine.inspectContainer(name)
    if (!container) return outcome('failed', `Container ${name} not found`)
    if (action === 'restart') return await restart(ctx, container, report, outcome)

    const reference = container.Config.Image ?? ''
    const parsed = parseImageReference(reference)
    const oldImage = await ctx.engine.inspectImage(container.Image)
    if (action === 'pull-recreate') {
      if (!parsed || parsed.digest || isImageId(reference)) {
        return outcome('not-updatable', `${name} runs ${reference || container.Image}, pinned by digest or image ID: there is no tag to pull; not touched`)
      }
      const tag = parsed.tag ?? 'latest'
      const { credentials, source, warning } = await ctx.credentials(parsed.registry)
      if (warning) report.log(warning, 'warn')
      report.log(`Pulling ${reference}${source ? ` (credentials from ${source})` : ''}`)
      const platform = imagePlatform(oldImage)
      await ctx.pullOnce(`${repositoryName(parsed)}:${tag}@${platform ?? ''}`, () =>
        ctx.engine.pullImage(repositoryName(parsed), tag, { auth: credentials, platform, onProgress: (line) => report.progress(describeProgress(line)) }),
      )
    }
    const newImage = await ctx.engine.inspectImage(reference)
    if (!newImage) {
      return outcome('failed', `The image ${reference} is not on this host any more (was its tag removed?); ${name} was not touched`)
    }
    if (action === 'pull-recreate' && newImage.Id === container.Image && container.State.Running) {
      return outcome('up-to-date', `${name} already runs the newest ${reference}; nothing restarted`)
    }
    report.log(`Recreating ${name} from ${reference} (${newImage.Id.slice(7, 19)})`)
    const result = await recreateContainer({ ...ctx, log: report.log }, container, { old: oldImage, new: newImage })
    if (!result.ok) return outcome(result.rolledBack ? 'rolled-back' : 'failed', result.reason)

    if (action === 'pull-recreate' && cleanup && oldImage && oldImage.Id !== newImage.Id) {
      const removed = await ctx.engine.removeImage(oldImage.Id).catch((error: unknown) => `failed: ${messageOf(error)}`)
      report.log(removed === 'removed' ? `Removed the old image ${oldImage.Id.slice(7, 19)}` : `Kept the old image ${oldImage.Id.slice(7, 19)} (${removed === 'in-use' ? 'still used by another container or tag' : removed})`)
    }
    return outcome('succeeded', result.started ? `${name} runs the new container` : `${name} was recreated (not started: it had never been started)`)
  } catch (error) {
    return outcome('failed', messageOf(error))
  }
}

async function restart(ctx: TargetContext, container: ContainerInspect, report: TargetReporter, outcome: (status: TargetOutcome['status'], message: string) => TargetOutcome): Promise<TargetOutcome> {
  const name = container.Name.replace(/^\//, '')
  report.log(`Restarting ${name}`)
  await ctx.engine.restartContainer(container.Id, { expectedTimeoutSeconds: container.Config.StopTimeout ?? DEFAULT_STOP_TIMEOUT_SECONDS })
  const verdict = await waitUntilUp(ctx.engine, container.Id, ctx.gate)
  return verdict.ok ? outcome('succeeded', `${name} restarted (${verdict.detail})`) : outcome('failed', `${name} did not come back after the restart: ${verdict.reason}`)
}
