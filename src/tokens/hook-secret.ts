import { toBase64Url } from './encoding.ts'

const encoder = new TextEncoder()

/**
 * The webhook secret for the token with id `jti`: base64url(HMAC-SHA256(hook.key, "hook:" + jti)).
 * Derived, not stored: the CLI prints it when it mints a webhook token, and the agent (or the edge)
 * recomputes it to check GitHub/Gitea signatures without keeping a list of secrets.
 *
 * @example
 * const secret = await hookSecretFor(hookKey, claims.jti) // 43 characters of base64url
 */
export async function hookSecretFor(hookKey: Uint8Array, jti: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new Uint8Array(hookKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`hook:${jti}`))
  return toBase64Url(new Uint8Array(mac))
}
