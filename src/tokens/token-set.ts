/**
 * The token set: a plain, JSON-serialisable object, so that it can be stored
 * anywhere (memory, file, keychain, Redis) and read back without a class.
 *
 * @module
 */

/**
 * Tokens from a provider: a successful token response, with absolute times added. Times are
 * epoch seconds. Never log one of these: use {@link redactTokenSet}.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-5.1 RFC 6749 §5.1, successful token response}
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#TokenResponse OpenID Connect Core §3.1.3.3, the ID token in the token response}
 */
export interface OAuthTokenSet {
  accessToken: string;
  /** Token type, normally `Bearer` (RFC 6750). */
  tokenType: string;
  /** The refresh token, when the provider issued one (kept across refreshes that send none). */
  refreshToken?: string;
  /** Lifetime of the access token in seconds, as the provider said. */
  expiresIn?: number;
  /** When the access token expires (epoch seconds). */
  expiresAt?: number;
  /** The ID token (a JWT), for OpenID Connect providers. Already validated when stored. */
  idToken?: string;
  /** Space-separated scopes granted (RFC 6749 §3.3), when the provider said. */
  scope?: string;
  /** When the token set was issued (epoch seconds). */
  issuedAt: number;
  /** The provider's raw token response, for provider-specific fields. Contains secrets. */
  raw?: Record<string, unknown>;
}

/** Current time in epoch seconds (whole seconds, as token responses and JWTs count). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Whether the access token has expired, or will within `bufferSeconds`.
 * A token set without `expiresAt` is never considered expired (the provider did not say).
 */
export function isTokenExpired(
  tokens: OAuthTokenSet,
  bufferSeconds = 0,
  now = nowSeconds(),
): boolean {
  return tokens.expiresAt !== undefined && tokens.expiresAt - bufferSeconds <= now;
}

/** Seconds until the access token expires (negative once expired), or `undefined` when unknown. */
export function secondsUntilExpiry(tokens: OAuthTokenSet, now = nowSeconds()): number | undefined {
  return tokens.expiresAt === undefined ? undefined : tokens.expiresAt - now;
}

/** Whether the token set can be refreshed: it holds a non-empty refresh token. */
export function canRefresh(tokens: OAuthTokenSet): boolean {
  return typeof tokens.refreshToken === 'string' && tokens.refreshToken.length > 0;
}

/**
 * Merges a refresh response into the previous token set. A response without a
 * refresh token keeps the old one (RFC 6749 §6), and so does a missing ID token.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-6 RFC 6749 §6, refreshing an access token}
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse OpenID Connect Core §12.2, refresh response}
 */
export function mergeRefreshedTokens(previous: OAuthTokenSet, next: OAuthTokenSet): OAuthTokenSet {
  return {
    ...next,
    refreshToken: next.refreshToken ?? previous.refreshToken,
    idToken: next.idToken ?? previous.idToken,
    scope: next.scope ?? previous.scope,
  };
}

/**
 * A copy safe to print or log: every secret replaced by `[redacted]`.
 *
 * @example
 * ```ts
 * console.log(redactTokenSet(tokens)); // { accessToken: '[redacted]', tokenType: 'Bearer', ... }
 * ```
 */
export function redactTokenSet(tokens: OAuthTokenSet): Record<string, unknown> {
  const hidden = '[redacted]';
  return {
    tokenType: tokens.tokenType,
    accessToken: hidden,
    refreshToken: tokens.refreshToken === undefined ? undefined : hidden,
    idToken: tokens.idToken === undefined ? undefined : hidden,
    expiresIn: tokens.expiresIn,
    expiresAt: tokens.expiresAt,
    scope: tokens.scope,
    issuedAt: tokens.issuedAt,
  };
}

/**
 * Checks that a value read back from a store is a token set. Returns it typed,
 * or `undefined` when it is not one.
 *
 * @example
 * ```ts
 * const tokens = parseTokenSet(JSON.parse(text));
 * if (tokens === undefined) throw new Error('not a token set');
 * ```
 */
export function parseTokenSet(value: unknown): OAuthTokenSet | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.accessToken !== 'string' || v.accessToken.length === 0) return undefined;
  if (typeof v.tokenType !== 'string') return undefined;
  if (typeof v.issuedAt !== 'number') return undefined;
  for (const key of ['refreshToken', 'idToken', 'scope'] as const) {
    if (v[key] !== undefined && typeof v[key] !== 'string') return undefined;
  }
  for (const key of ['expiresIn', 'expiresAt'] as const) {
    if (v[key] !== undefined && typeof v[key] !== 'number') return undefined;
  }
  return v as unknown as OAuthTokenSet;
}
