import { readFile } from 'node:fs/promises'

/** What this process can see of the container it runs in (each part may be missing). */
export interface OwnContainerSources {
  /** Text of /proc/self/cgroup. */
  cgroup?: string | undefined
  /** Text of /proc/self/mountinfo. */
  mountinfo?: string | undefined
  /** $HOSTNAME: Docker sets it to the first 12 hex digits of the container ID unless told otherwise. */
  hostname?: string | undefined
}

const SHORT_ID = /^[0-9a-f]{12}$/
// Only these three are bind-mounted from the container's own folder into every container. The host's
// mountinfo also lists /var/lib/docker/containers/<id>/mounts/shm of every running container, so a
// broader match would hide them all when the CLI runs on the host.
const PER_CONTAINER_FILES = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf'])

/**
 * Decides from what /proc shows whether a container ID is the one this process runs in, so the
 * generator does not offer the agent's own container as a deploy target.
 * - mountinfo: `…/containers/<id>/hostname /etc/hostname …` (cgroup v1 and v2 alike);
 * - cgroup v1, or v2 without a private cgroup namespace: `/docker/<id>`, `docker-<id>.scope`;
 * - failing both, a HOSTNAME of 12 hex digits taken as an ID prefix.
 */
export function ownContainerMatcher(sources: OwnContainerSources): (containerId: string) => boolean {
  const ids = new Set<string>()
  for (const line of sources.mountinfo?.split('\n') ?? []) {
    const [, , , root, mountPoint] = line.split(' ')
    if (!root || !mountPoint || !PER_CONTAINER_FILES.has(mountPoint)) continue
    const id = /containers\/([0-9a-f]{64})\//.exec(root)?.[1]
    if (id) ids.add(id)
  }
  for (const line of sources.cgroup?.split('\n') ?? []) {
    const path = line.split(':').slice(2).join(':')
    const id = /(?:docker[/-]|libpod-)([0-9a-f]{64})/.exec(path)?.[1]
    if (id) ids.add(id)
  }
  if (ids.size > 0) return (containerId) => ids.has(containerId)
  const hostname = sources.hostname?.trim().toLowerCase()
  if (hostname && SHORT_ID.test(hostname)) return (containerId) => containerId.startsWith(hostname)
  return () => false
}

/** Reads the sources of {@link ownContainerMatcher} from this process; a file that cannot be read is skipped. */
export async function readOwnContainerSources(env: Record<string, string | undefined> = process.env): Promise<OwnContainerSources> {
  const read = (path: string) => readFile(path, 'utf8').catch(() => undefined)
  const [cgroup, mountinfo] = await Promise.all([read('/proc/self/cgroup'), read('/proc/self/mountinfo')])
  return { cgroup, mountinfo, hostname: env.HOSTNAME }
}
