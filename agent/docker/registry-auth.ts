/** Credentials for one registry, as the Engine takes them in `X-Registry-Auth`. */
export type RegistryCredentials =
  | { username: string; password: string; serveraddress?: string }
  | { identitytoken: string; serveraddress?: string }

/**
 * The Engine decodes X-Registry-Auth with Go's padded base64.URLEncoding and silently ignores a
 * header it cannot decode (then the pull fails with "pull access denied"). Node's 'base64url' drops
 * the padding, so map standard base64 to the URL alphabet and keep the `=`.
 */
export function encodeRegistryAuth(credentials: RegistryCredentials): string {
  return Buffer.from(JSON.stringify(credentials), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_')
}
