import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock'

/** Where the Engine listens and how to reach it; the result of reading DOCKER_HOST once. */
export type EngineEndpoint =
  | { kind: 'unix'; socketPath: string; description: string }
  | { kind: 'tcp'; origin: string; tls?: { ca: Buffer; cert: Buffer; key: Buffer }; description: string }

export class DockerHostError extends Error {
  override name = 'DockerHostError'
}

export interface DockerHostSettings {
  dockerHost?: string | undefined
  /** DOCKER_TLS_VERIFY: any non-empty value other than "0" turns TLS on, as the docker CLI does. */
  tlsVerify?: string | undefined
  certPath?: string | undefined
}

/**
 * Reads DOCKER_HOST the way the docker CLI does: `unix:///path`, `tcp://host:port`
 * (TLS with client certificates from DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set).
 * Throws DockerHostError with a message fit for a user on anything else.
 */
export function parseDockerHost(settings: DockerHostSettings): EngineEndpoint {
  const raw = settings.dockerHost?.trim() || DEFAULT_DOCKER_HOST
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase()
  if (scheme === 'unix') {
    const socketPath = raw.slice('unix://'.length)
    if (!socketPath.startsWith('/')) throw new DockerHostError(`DOCKER_HOST ${raw}: a unix socket needs an absolute path, e.g. ${DEFAULT_DOCKER_HOST}`)
    return { kind: 'unix', socketPath, description: raw }
  }
  if (scheme === 'tcp' || scheme === 'http' || scheme === 'https') {
    let url: URL
    try {
      url = new URL(raw.replace(/^[a-z]+:/i, 'http:'))
    } catch {
      throw new DockerHostError(`DOCKER_HOST ${raw}: not a valid tcp://host:port address`)
    }
    if (!url.hostname) throw new DockerHostError(`DOCKER_HOST ${raw}: the host is missing`)
    const tlsOn = scheme === 'https' || (settings.tlsVerify !== undefined && settings.tlsVerify !== '' && settings.tlsVerify !== '0')
    const port = url.port || (tlsOn ? '2376' : '2375')
    if (!tlsOn) return { kind: 'tcp', origin: `http://${url.hostname}:${port}`, description: raw }
    const dir = settings.certPath || join(process.env.HOME ?? '/root', '.docker')
    const read = (file: string): Buffer => {
      try {
        return readFileSync(join(dir, file))
      } catch {
        throw new DockerHostError(`DOCKER_TLS_VERIFY is set but ${join(dir, file)} cannot be read (set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem)`)
      }
    }
    return { kind: 'tcp', origin: `https://${url.hostname}:${port}`, tls: { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') }, description: raw }
  }
  throw new DockerHostError(`DOCKER_HOST ${raw}: unsupported scheme${scheme ? ` "${scheme}"` : ''}; use unix:///path/to/docker.sock or tcp://host:port`)
}
