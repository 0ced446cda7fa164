/**
 * `POST /auth/refresh`: refreshes the session's token set server-side.
 *
 * @module
 */
import type { AuthContext } from '../context.js';
import { errorResponse, json } from '../http.js';
import { refreshSessionTokens } from '../refresh-session.js';

/**
 * Refreshes the session's token set when it is due (in the second half of the access token's
 * lifetime), once across all workers (see {@link refreshSessionTokens}); a set that is not due
 * is answered as it is, so no client can make the server refresh more often than that.
 */
export async function refresh(ctx: AuthContext, request: Request): Promise<Response> {
  // Not a use for the idle timeout: the browser client refreshes on its own, from an idle tab too.
  const session = await ctx.readSession(request, false);
  if (session === null) return notAuthenticated();
  const result = await refreshSessionTokens(ctx, session.sessionId);
  if (result.ok) {
    return json({
      success: true,
      expiresAt: result.tokens.expiresAt ?? null,
      tokenType: result.tokens.tokenType,
    });
  }
  switch (result.code) {
    case 'not_authenticated':
      return notAuthenticated();
    case 'refresh_unavailable':
      return errorResponse(
        400,
        'refresh_unavailable',
        'The provider gave no refresh token. Sign in again to renew.',
      );
    case 'reauth_required':
      return errorResponse(401, 'reauth_required', 'The sign-in has expired. Sign in again.', {
        'set-cookie': ctx.clearSessionCookie(),
      });
    default:
      return errorResponse(
        502,
        'refresh_failed',
        'The provider could not refresh the sign-in. Try again later.',
      );
  }
}

function notAuthenticated(): Response {
  return errorResponse(401, 'not_authenticated', 'Not signed in. Sign in first.');
}
