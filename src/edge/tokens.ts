import { importVerificationKey, isPublicPaserk, type VerificationKey } from '../tokens/keys.ts'
import { createTokenVerifier, staticKeyRing, type TokenVerifier } from '../tokens/verify.ts'

/**
 * The edge's token check: the public keys from the `PUBLIC_KEYS` secret (k4.public PASERKs separated
 * by commas or white space). The edge holds no signing key and no revocation list: the agent behind
 * it verifies every relayed request again, revocations included.
 */
export function edgeTokenVerifier(publicKeys: string | undefined): TokenVerifier {
  let verifier: Promise<TokenVerifier> | undefined
  const build = async (): Promise<TokenVerifier> => {
    const listed = (publicKeys ?? '').split(/[\s,]+/).filter(Boolean)
    const keys: VerificationKey[] = await Promise.all(listed.filter(isPublicPaserk).map((key) => importVerificationKey(key)))
    return createTokenVerifier({ keys: staticKeyRing(keys), revocations: { isRevoked: () => false } })
  }
  return {
    async verify(token, endpoint) {
      verifier ??= build()
      return (await verifier).verify(token, endpoint)
    },
  }
}
