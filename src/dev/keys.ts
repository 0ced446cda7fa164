/**
 * Keys of one development provider run: ID token signing keys and cookie keys.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

/** Fresh signing keys for one provider run: RS256 (the ID token default) and ES256. Kept in memory only. */
export async function generateSigningKeys(): Promise<{ keys: JWK[] }> {
  const algs = ['RS256', 'ES256'] as const;
  const keys = await Promise.all(
    algs.map(async (alg) => {
      const { privateKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = await exportJWK(privateKey);
      return {
        ...jwk,
        alg,
        use: 'sig',
        kid: `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}`,
      };
    }),
  );
  return { keys };
}

/** Random keys for oidc-provider's signed cookies. */
export function generateCookieKeys(): string[] {
  return [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')];
}
