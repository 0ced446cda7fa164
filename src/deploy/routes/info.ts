/**
 * `GET /auth/userinfo` and `GET /auth/status`.
 *
 * @module
 */
import type { AuthContext } from '../context.js';
import { errorResponse, json } from '../http.js';

/** `{ userId, roles, userInfo }` of the signed-in user, or 401 `not_authenticated`. */
export async function userinfo(ctx: AuthContext, request: Request): Promise<Response> {
  const session = await ctx.readSession(request);
  if (session === null)
    return errorResponse(401, 'not_authenticated', 'Not signed in. Sign in first.');
  return json({
    userId: session.userId,
    roles: session.roles,
    userInfo: session.metadata.userInfo ?? {},
  });
}

/**
 * `{ authenticated: false }`, or `{ authenticated: true, userId, roles, expiresAt,
 * tokenExpiresAt }`: `expiresAt` is the session's end, `tokenExpiresAt` the access token's
 * (the browser client refreshes before it), both epoch seconds or `null`.
 */
export async function status(ctx: AuthContext, request: Request): Promise<Response> {
  // Not a use for the idle timeout: the browser client asks on its own, from an idle tab too.
  const session = await ctx.readSession(request, false);
  if (session === null) return json({ authenticated: false });
  const { tokens } = await ctx.stores();
  const tokenSet = await tokens.load(session.sessionId);
  return json({
    authenticated: true,
    userId: session.userId,
    roles: session.roles,
    expiresAt: session.expiresAt,
    tokenExpiresAt: tokenSet?.expiresAt ?? null,
  });
}
