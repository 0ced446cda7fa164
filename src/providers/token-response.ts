/**
 * From a token endpoint response (already parsed and checked by openid-client) to an
 * {@link OAuthTokenSet}. Whatever is not right is rejected here, so a caller never gets a
 * half token set.
 *
 * @module
 */
import { TokenError } from '../errors.js';
import { nowSeconds, type OAuthTokenSet } from '../tokens/token-set.js';

/** Longest `expires_in` kept (10 years): larger values are clamped, not trusted. */
export const MAX_EXPIRES_IN_SECONDS = 10 * 365 * 24 * 60 * 60;

/** Options of {@link toTokenSet}. */
export interface ToTokenSetOptions {
  /** Provider name for errors. */
  provider: string;
  /** When the response was received (epoch seconds). Default now. */
  issuedAt?: number;
  /** GitHub separates granted scopes with commas; they are normalised to spaces. */
  commaSeparatedScope?: boolean;
}

/**
 * Converts a token endpoint response. `token_type` must be `Bearer` in any case (DPoP and
 * unknown types are refused: the token would be used wrongly); `expires_in`, when present,
 * must be a non-negative integer.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @throws TokenError on a malformed response.
 */
export function toTokenSet(
  response: Record<string, unknown>,
  options: ToTokenSetOptions,
): OAuthTokenSet {
  const fail = (what: string) =>
    new TokenError(`The provider's token response is malformed: ${what}.`, {
      provider: options.provider,
    });
  const accessToken = response.access_token;
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw fail('"access_token" is missing or not a string');
  }
  const tokenType = response.token_type;
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw fail('"token_type" is missing or not "Bearer"');
  }
  const issuedAt = options.issuedAt ?? nowSeconds();
  const tokens: OAuthTokenSet = { accessToken, tokenType: 'Bearer', issuedAt };

  const expiresIn = response.expires_in;
  if (expiresIn !== undefined) {
    if (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn < 0) {
      throw fail('"expires_in" is not a non-negative integer');
    }
    if (expiresIn > MAX_EXPIRES_IN_SECONDS) {
      throw fail('"expires_in" is implausibly large (more than ten years)');
    }
    tokens.expiresIn = expiresIn;
    tokens.expiresAt = issuedAt + tokens.expiresIn;
  }
  for (const [field, key] of [
    ['refresh_token', 'refreshToken'],
    ['id_token', 'idToken'],
    ['scope', 'scope'],
  ] as const) {
    const value = response[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || (field !== 'scope' && value.length === 0)) {
      throw fail(`"${field}" is not a string`);
    }
    tokens[key] = value;
  }
  if (tokens.scope !== undefined && options.commaSeparatedScope) {
    tokens.scope = tokens.scope
      .split(',')
      .map((scope) => scope.trim())
      .filter(Boolean)
      .join(' ');
  }
  tokens.raw = { ...response };
  return tokens;
}
