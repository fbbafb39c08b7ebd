import { readFile } from 'node:fs/promises'
import { openKeyRing } from '../store/keys.ts'
import { CliFailure, type CliContext } from './context.ts'

/** `key show`: the public keys that verify tokens, current one first; what an edge gateway needs. */
export async function keyShow(ctx: CliContext, json: boolean): Promise<void> {
  const ring = await openKeyRing(ctx.dataDir)
  const keys = ring.list().toSorted((a, b) => Number(b.current) - Number(a.current))
  if (json) {
    ctx.output.out(`${JSON.stringify({ keys })}\n`)
    return
  }
  const lines: string[] = []
  for (const key of keys) {
    const status = key.current ? 'current — signs new tokens' : key.retired ? `retired ${key.retired} — no longer verifies` : 'earlier key — still verifies its tokens'
    lines.push(`${key.kid}  (${status}; created ${key.created})`, `  ${key.publicKey}`, '')
  }
  lines.push('The edge gateway needs the k4.public keys of every key that still verifies.')
  ctx.output.out(`${lines.join('\n')}\n`)
}

/** `key rotate`: a new signing key; tokens of the old one keep working until it is retired. */
export async function keyRotate(ctx: CliContext): Promise<void> {
  const ring = await openKeyRing(ctx.dataDir)
  const previous = ring.current()
  const next = await ring.rotate()
  ctx.output.out(
    [
      `New signing key ${next.kid}`,
      `  ${next.publicKey}`,
      '',
      `Tokens signed by ${previous.kid} keep working until you run: dockhook key retire ${previous.kid}`,
      '',
    ].join('\n'),
  )
}

/** `key retire`: tokens signed by this key are refused from now on. */
export async function keyRetire(ctx: CliContext, kid: string): Promise<void> {
  const ring = await openKeyRing(ctx.dataDir)
  await ring.retire(kid)
  ctx.output.out(`Retired ${kid}: tokens signed by it are refused from now on.\n`)
}

/** `key import`: accept tokens signed with docker-deploy-api's key.pem. */
export async function keyImport(ctx: CliContext, file: string): Promise<void> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = error && typeof error === 'object' && 'code' in error ? String(error.code) : 'unreadable'
    throw new CliFailure(`cannot read ${file} (${code})`)
  }
  const ring = await openKeyRing(ctx.dataDir)
  const imported = await ring.importLegacyPem(text)
  ctx.output.out(`Imported ${imported.kid}: tokens signed by this docker-deploy-api key are accepted.\n`)
}
