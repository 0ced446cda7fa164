/**
 * The user's profile: the OIDC userinfo endpoint (its `sub` must be the ID token's), or a
 * protected JSON resource for plain OAuth 2.0 providers. The access token travels in the
 * Authorization header, never in the URL.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 * @module
 */
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { AuthenticationError, ConfigurationError, ErrorCodes, TokenError } from '../errors.js';
import type { OAuthTokenSet } from '../tokens/token-set.js';
import { subjectOf } from './id-token.js';
import type { UserInfo } from './types.js';

/**
 * Refuses, before any request, to fetch a user profile without an access token.
 *
 * @throws {TokenError}
 */
export function requireAccessToken(tokens: OAuthTokenSet, provider: string): void {
  if (typeof tokens?.accessToken !== 'string' || tokens.accessToken.length === 0) {
    throw new TokenError('There is no access token to fetch the user profile with.', {
      provider,
    });
  }
}

/**
 * The user's claims. For OIDC without a userinfo endpoint, the validated ID token's claims
 * are all the provider says.
 */
export async function fetchUserClaims(
  config: client.Configuration,
  tokens: OAuthTokenSet,
  isOidc: boolean,
  provider: string,
): Promise<UserInfo> {
  const endpoint = config.serverMetadata().userinfo_endpoint;
  if (!isOidc) {
    if (endpoint === undefined) return {};
    return fetchJsonResource(
      config,
      tokens.accessToken,
      new URL(endpoint),
      {},
      'userinfo',
      provider,
    );
  }
  const subject = tokens.idToken === undefined ? undefined : subjectOf(tokens.idToken, provider);
  if (endpoint === undefined) {
    if (tokens.idToken !== undefined) return { ...decodeJwt(tokens.idToken) };
    throw new ConfigurationError(
      `${provider}: the provider has no userinfo endpoint. Set the userinfoUrl option.`,
      { provider },
    );
  }
  // Without an ID token (none came with a refresh) the sub cannot be compared, but
  // openid-client still requires it to be a non-empty string.
  const claims = await client.fetchUserInfo(
    config,
    tokens.accessToken,
    subject ?? client.skipSubjectCheck,
  );
  return { ...claims };
}

/**
 * GET a JSON object from a protected resource with the access token in the Authorization
 * header. `what` names the endpoint in messages.
 *
 * @throws {TokenError} when the provider refuses the token (401, 403).
 * @throws {AuthenticationError} `provider_unavailable` for any other status or a non-object.
 */
export async function fetchJsonResource(
  config: client.Configuration,
  accessToken: string,
  url: URL,
  headers: Record<string, string>,
  what: string,
  provider: string,
): Promise<Record<string, unknown>> {
  const response = await client.fetchProtectedResource(
    config,
    accessToken,
    url,
    'GET',
    undefined,
    new Headers({ accept: 'application/json', ...headers }),
  );
  if (response.status === 401 || response.status === 403) {
    throw new TokenError(
      `The provider rejected the access token at its ${what} endpoint (HTTP ${response.status}). Refresh the tokens or sign in again.`,
      { provider },
    );
  }
  if (response.status !== 200) {
    throw new AuthenticationError(
      `The provider's ${what} endpoint answered HTTP ${response.status}. Try again later.`,
      { provider, code: ErrorCodes.PROVIDER_UNAVAILABLE },
    );
  }
  const json = await response.json().catch(() => undefined);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new AuthenticationError(
      `The provider's ${what} endpoint did not answer with a JSON object.`,
      { provider, code: ErrorCodes.PROVIDER_UNAVAILABLE },
    );
  }
  return json as Record<string, unknown>;
}
