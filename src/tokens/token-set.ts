/**
 * The token set: a plain, JSON-serialisable object, so that it can be stored
 * anywhere (memory, file, keychain, Redis) and read back without a class.
 *
 * @module
 */

/** Tokens from a provider. Times are epoch seconds. Never log one of these: use {@link redactTokenSet}. */
export interface OAuthTokenSet {
  /** The access token. */
  accessToken: string;
  /** Token type, normally `Bearer`. */
  tokenType: string;
  /** The refresh token, when the provider issued one. */
  refreshToken?: string;
  /** Lifetime of the access token in seconds, as the provider said. */
  expiresIn?: number;
  /** When the access token expires (epoch seconds). */
  expiresAt?: number;
  /** The ID token (a JWT), for OpenID Connect providers. Already validated when stored. */
  idToken?: string;
  /** Space-separated scopes granted. */
  scope?: string;
  /** When the token set was issued (epoch seconds). */
  issuedAt: number;
  /** The provider's raw token response, for provider-specific fields. Contains secrets. */
  raw?: Record<string, unknown>;
}

/** Current time in epoch seconds. */
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

/** Whether the token set can be refreshed. */
export function canRefresh(tokens: OAuthTokenSet): boolean {
  return typeof tokens.refreshToken === 'string' && tokens.refreshToken.length > 0;
}

/**
 * Merges a refresh response into the previous token set. A response without a
 * refresh token keeps the old one (RFC 6749 §6), and so does a missing ID token.
 */
export function mergeRefreshedTokens(previous: OAuthTokenSet, next: OAuthTokenSet): OAuthTokenSet {
  return {
    ...next,
    refreshToken: next.refreshToken ?? previous.refreshToken,
    idToken: next.idToken ?? previous.idToken,
    scope: next.scope ?? previous.scope,
  };
}

/** A copy safe to print or log: every secret replaced by `[redacted]`. */
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
