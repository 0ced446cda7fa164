/**
 * authflow's own rules for a validated ID token, on top of openid-client's (signature, `iss`,
 * `aud`, `exp`, `nonce`, `auth_time`): a fresh `iat`, and a refreshed token about the same
 * user. A token that breaks one fails with `validation_failed`.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 * @module
 */
import { decodeJwt } from 'jose';
import type * as client from 'openid-client';
import { AuthenticationError, ErrorCodes, TokenError } from '../errors.js';
import { nowSeconds } from '../tokens/token-set.js';

/**
 * Oldest acceptable `iat` of an ID token from the token endpoint, in seconds: it was just
 * minted, so an old one is a replay.
 */
export const MAX_ID_TOKEN_AGE_SECONDS = 600;

/** The grant an ID token came with. */
export type IdTokenGrant = 'exchange' | 'refresh' | 'poll';

/**
 * Why the token's `iat` is unacceptable, or `undefined`: not in the future, and not older
 * than {@link MAX_ID_TOKEN_AGE_SECONDS} for a freshly minted one (a refresh may return the
 * original ID token again).
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation (step 10)
 */
export function idTokenAgeProblem(
  claims: client.IDToken,
  clockTolerance: number,
  grant: IdTokenGrant,
): string | undefined {
  const now = nowSeconds();
  if (claims.iat > now + clockTolerance) return 'its "iat" (issued at) is in the future';
  if (grant !== 'refresh' && claims.iat < now - MAX_ID_TOKEN_AGE_SECONDS - clockTolerance) {
    return 'its "iat" (issued at) is too old';
  }
  return undefined;
}

/**
 * Whether a refreshed ID token is about another subject or from another issuer than the
 * previous one. A previous token that does not decode gives nothing to compare with.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse
 */
export function changedSubject(claims: client.IDToken, previousIdToken: string): boolean {
  let previous: ReturnType<typeof decodeJwt>;
  try {
    previous = decodeJwt(previousIdToken);
  } catch {
    return false; // The new token itself was validated.
  }
  return previous.sub !== claims.sub || previous.iss !== claims.iss;
}

/** The error for an ID token that failed one of authflow's own checks. */
export function invalidIdToken(provider: string, reason: string): AuthenticationError {
  return new AuthenticationError(
    `The ID token from the provider failed validation: ${reason}. Nothing was stored; start a new sign-in.`,
    { provider, code: ErrorCodes.VALIDATION_FAILED },
  );
}

/**
 * The `sub` of a stored ID token, to compare with the userinfo response's.
 *
 * @throws {TokenError} when the stored token has none.
 */
export function subjectOf(idToken: string, provider: string): string {
  let sub: unknown;
  try {
    sub = decodeJwt(idToken).sub;
  } catch {
    sub = undefined;
  }
  if (typeof sub !== 'string' || sub.length === 0) {
    throw new TokenError('The stored ID token is malformed (no "sub"). Sign in again.', {
      provider,
    });
  }
  return sub;
}
