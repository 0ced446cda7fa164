/**
 * `auth.getAccessToken(request)`: the signed-in user's access token, for calling APIs on the
 * user's behalf (Google APIs, Microsoft Graph, your own). Refreshed first when it expires
 * soon, under the same cross-worker lock as `POST /auth/refresh`.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6750.html#section-2.1 RFC 6750 §2.1, sending a bearer token}
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-6 RFC 6749 §6, refreshing an access token}
 * @module
 */
import { AuthenticationError, ErrorCodes } from '../errors.js';
import { isRefreshDue } from '../tokens/refresh-due.js';
import { isTokenExpired, type OAuthTokenSet } from '../tokens/token-set.js';
import type { AuthContext } from './context.js';
import { refreshSessionTokens } from './refresh-session.js';

/**
 * A usable access token and what the app needs to decide how to use it. Never the refresh token.
 *
 * @example
 * ```ts
 * const token = await auth.getAccessToken(c);
 * if (token === null) return c.redirect(auth.loginPath);
 * const events = await fetch('https://www.googleapis.com/calendar/v3/users/me/calendarList', {
 *   headers: { authorization: `${token.tokenType} ${token.accessToken}` },
 * });
 * ```
 */
export interface AccessToken {
  /** The access token, for an `Authorization: <tokenType> <accessToken>` header. Never log it. */
  accessToken: string;
  /** Token type, normally `Bearer` (RFC 6750). */
  tokenType: string;
  /** When it expires (epoch seconds), or `null` when the provider did not say. */
  expiresAt: number | null;
  /** The scopes granted, as the provider reported them (empty when it did not say). */
  scopes: string[];
}

/** Options of `auth.getAccessToken`. */
export interface GetAccessTokenOptions {
  /**
   * Refresh first when the token expires within this many seconds. Default 60: a token handed
   * out lives long enough for the call it is for.
   */
  minValidity?: number;
}

/** What `getAccessToken` accepts: a Web-standard Request, or a Hono context. */
export type RequestLike = Request | { req: { raw: Request } };

const DEFAULT_MIN_VALIDITY = 60;

/**
 * Resolves the signed-in user's access token, refreshing it first when it expires within
 * `minValidity` seconds. `null` when the request has no live session. Rejects with an
 * `AuthenticationError` of code `reauth_required` when the provider rejected the refresh (the
 * session is then ended: the user must sign in again), `refresh_failed` when the provider could
 * not refresh and the token has expired, and `StoreUnavailableError` when the store is down.
 */
export async function getAccessToken(
  ctx: AuthContext,
  requestLike: RequestLike,
  options: GetAccessTokenOptions = {},
): Promise<AccessToken | null> {
  const request = requestLike instanceof Request ? requestLike : requestLike.req.raw;
  const minValidity = options.minValidity ?? DEFAULT_MIN_VALIDITY;
  if (!Number.isFinite(minValidity) || minValidity < 0) {
    throw new TypeError('getAccessToken: minValidity must be a number of seconds, 0 or more.');
  }
  const session = await ctx.readSession(request);
  if (session === null) return null;
  const { tokens } = await ctx.stores();
  const id = session.sessionId;
  const current = await tokens.load(id);
  if (current === undefined) return null;
  // The buffer is capped at half the token's lifetime (issue 8): short-lived tokens are not
  // refreshed on every call.
  if (!isRefreshDue(current, minValidity)) return view(current);

  const result = await refreshSessionTokens(ctx, id, { bufferSeconds: minValidity });
  if (result.ok) return view(result.tokens);
  if (result.code === 'not_authenticated') return null;
  if (result.code === 'reauth_required') {
    throw new AuthenticationError(
      'The provider rejected the refresh: the session has ended. Sign in again.',
      { code: ErrorCodes.REAUTH_REQUIRED, provider: ctx.options.provider.name },
    );
  }
  // The provider could not refresh (down, or no refresh token): a token that still works is
  // better than none.
  if (!isTokenExpired(current)) return view(current);
  throw new AuthenticationError(
    result.code === 'refresh_unavailable'
      ? 'The access token has expired and the provider gave no refresh token. Sign in again.'
      : 'The access token has expired and the provider could not refresh it. Try again later.',
    {
      code:
        result.code === 'refresh_unavailable'
          ? ErrorCodes.TOKEN_EXPIRED
          : ErrorCodes.REFRESH_FAILED,
      provider: ctx.options.provider.name,
    },
  );
}

function view(tokens: OAuthTokenSet): AccessToken {
  return {
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
    expiresAt: tokens.expiresAt ?? null,
    scopes: (tokens.scope ?? '').split(/[\s,]+/).filter((scope) => scope.length > 0),
  };
}
