import { describe, expect, it } from 'vitest'
import { ownContainerMatcher } from '../../../agent/docker/own-container.ts'

const ID = '2c503bfc47189076f5d9424814743d1dd7e8d77c79e8516b545d87606b07489a'
const OTHER = 'a'.repeat(64)

// Shapes copied from a real container of this Engine (docker exec … cat /proc/self/mountinfo).
const mountinfoInContainer = [
  '114 64 0:51 / / rw,relatime master:3 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X',
  `131 114 254:0 /var/lib/docker/containers/${ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw`,
  `132 114 254:0 /var/lib/docker/containers/${ID}/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw`,
].join('\n')

// On the host every running container's shm mount shows up; none of them is "us".
const mountinfoOnHost = [
  '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  `300 22 0:80 / /var/lib/docker/containers/${OTHER}/mounts/shm rw,nosuid - tmpfs shm rw`,
].join('\n')

describe('ownContainerMatcher', () => {
  it('finds the container ID in the bind mounts of /etc/hostname, /etc/hosts, /etc/resolv.conf', () => {
    const isOwn = ownContainerMatcher({ mountinfo: mountinfoInContainer, cgroup: '0::/\n' })
    expect(isOwn(ID)).toBe(true)
    expect(isOwn(OTHER)).toBe(false)
  })

  it('does not take the shm mounts the host sees for other containers as its own', () => {
    const isOwn = ownContainerMatcher({ mountinfo: mountinfoOnHost, cgroup: '0::/user.slice/session-1.scope\n', hostname: 'build-host' })
    expect(isOwn(OTHER)).toBe(false)
  })

  it.each([
    ['cgroup v1', `4:memory:/docker/${ID}\n1:cpu:/docker/${ID}\n`],
    ['cgroup v2 with the host namespace (systemd driver)', `0::/system.slice/docker-${ID}.scope\n`],
    ['podman', `0::/machine.slice/libpod-${ID}.scope\n`],
  ])('reads the ID from /proc/self/cgroup (%s)', (_, cgroup) => {
    const isOwn = ownContainerMatcher({ cgroup })
    expect(isOwn(ID)).toBe(true)
    expect(isOwn(OTHER)).toBe(false)
  })

  it('falls back to a HOSTNAME of 12 hex digits as an ID prefix', () => {
    const isOwn = ownContainerMatcher({ cgroup: '0::/\n', hostname: ID.slice(0, 12) })
    expect(isOwn(ID)).toBe(true)
    expect(isOwn(OTHER)).toBe(false)
  })

  it('matches nothing outside a container', () => {
    const isOwn = ownContainerMatcher({ cgroup: '0::/\n', mountinfo: mountinfoOnHost, hostname: 'vm' })
    expect([ID, OTHER].some(isOwn)).toBe(false)
    expect(ownContainerMatcher({})(ID)).toBe(false)
  })
})
