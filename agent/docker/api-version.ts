/**
 * The oldest Engine API dockhook speaks: Debian 12's Engine 20.10. Below it `platform=` on create is
 * ignored (recreate-fidelity.md §1).
 */
export const MIN_API_VERSION = '1.41'

/**
 * The newest Engine API this client was written against. 1.52 stops returning `Config.MacAddress`
 * from inspect (the only place a user-set MAC is visible), so the client stays at 1.51 even on
 * newer Engines, which all still accept it.
 */
export const MAX_API_VERSION = '1.51'

/** Compares "1.41"-style API versions numerically (1.9 < 1.41). */
export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number)
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number)
  return aMajor - bMajor || aMinor - bMinor
}

export function isApiVersion(value: string): boolean {
  return /^\d+\.\d+$/.test(value)
}

/** min(the Engine's maximum, the client's maximum), as the docker CLI negotiates. */
export function negotiateApiVersion(engineMax: string, clientMax: string = MAX_API_VERSION): string {
  return compareApiVersions(engineMax, clientMax) < 0 ? engineMax : clientMax
}
