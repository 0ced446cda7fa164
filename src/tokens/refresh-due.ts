/**
 * When a token set is due for refresh: the one rule behind every refresh authflow schedules
 * or decides (`SessionManager`, `authflow token`, deploy mode's `/auth/refresh`, and, mirrored
 * because they cannot import it, the CLI's CommonJS fast path and `authflow/client`).
 *
 * A refresh buffer larger than the token's own lifetime made every fresh token look "about
 * to expire" and set off a refresh storm. So the buffer used is never more than half of the
 * token's lifetime: a token set is refreshed at most once per half lifetime. Anything that
 * waits for the due time waits at least {@link MIN_REFRESH_DELAY_MS}, so no loop can spin.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-6 RFC 6749 §6, refreshing an access token}
 * @module
 */
import type { OAuthTokenSet } from './token-set.js';

/** The largest share of a token's lifetime that the refresh buffer may take. */
export const MAX_BUFFER_SHARE = 0.5;

/**
 * The shortest wait, in milliseconds, of anything scheduled to refresh (a timer, a retry):
 * even a provider that issues tokens already expired cannot make a refresh loop spin.
 */
export const MIN_REFRESH_DELAY_MS = 1000;

/**
 * Seconds before expiry at which `tokens` is refreshed when the caller asks for
 * `bufferSeconds`: `bufferSeconds`, but at most half of the token's lifetime
 * (`expiresAt - issuedAt`). A negative or NaN buffer counts as 0; `Infinity` means "as early
 * as allowed" (half the lifetime).
 */
export function effectiveRefreshBuffer(tokens: OAuthTokenSet, bufferSeconds: number): number {
  const buffer = Math.max(bufferSeconds || 0, 0);
  if (tokens.expiresAt === undefined) return buffer;
  const lifetime = Math.max(0, tokens.expiresAt - tokens.issuedAt);
  return Math.min(buffer, lifetime * MAX_BUFFER_SHARE);
}

/**
 * When `tokens` becomes due for refresh (epoch milliseconds), or `undefined` when the provider
 * gave no expiry (never due). Never earlier than one second after `issuedAt` (times are whole
 * seconds: this keeps one-second tokens from being refreshed twice in the same second), and
 * never later than `expiresAt`.
 */
export function refreshDueAtMs(tokens: OAuthTokenSet, bufferSeconds: number): number | undefined {
  const { expiresAt, issuedAt } = tokens;
  if (expiresAt === undefined) return undefined;
  const due = Math.max(
    expiresAt - effectiveRefreshBuffer(tokens, bufferSeconds),
    issuedAt + MIN_REFRESH_DELAY_MS / 1000,
  );
  return Math.min(expiresAt, due) * 1000;
}

/**
 * Whether `tokens` should be refreshed now, for a caller whose refresh buffer is
 * `bufferSeconds` (see {@link effectiveRefreshBuffer}). An expired token set is always due; one
 * without an expiry never is.
 *
 * @example
 * ```ts
 * if (isRefreshDue(tokens, 60) && tokens.refreshToken) {
 *   tokens = mergeRefreshedTokens(tokens, await provider.refreshTokens(tokens.refreshToken));
 * }
 * ```
 */
export function isRefreshDue(
  tokens: OAuthTokenSet,
  bufferSeconds: number,
  nowMs: number = Date.now(),
): boolean {
  const due = refreshDueAtMs(tokens, bufferSeconds);
  return due !== undefined && due <= nowMs;
}

/**
 * How long to wait before refreshing `tokens` (milliseconds, at least
 * {@link MIN_REFRESH_DELAY_MS}), or `undefined` when it never needs a refresh.
 */
export function refreshDelayMs(
  tokens: OAuthTokenSet,
  bufferSeconds: number,
  nowMs: number = Date.now(),
): number | undefined {
  const due = refreshDueAtMs(tokens, bufferSeconds);
  return due === undefined ? undefined : Math.max(MIN_REFRESH_DELAY_MS, due - nowMs);
}

/**
 * Whether a token set that someone else has just refreshed can be used as it is: its access
 * token has not expired. A process that waited for the refresh lock uses such a set instead of
 * refreshing it again, even when it is already inside the caller's buffer.
 */
export function isStillValid(tokens: OAuthTokenSet, nowMs: number = Date.now()): boolean {
  return tokens.expiresAt === undefined || tokens.expiresAt * 1000 > nowMs;
}
