/**
 * `POST /auth/logout[?federated=1]`: ends the session.
 *
 * @module
 */
import type { AuthContext } from '../context.js';
import { json } from '../http.js';
import { withDeadline } from '../provider-call.js';

/**
 * Revokes the tokens at the provider where possible (best effort, bounded), deletes the
 * session and its tokens, and clears the cookie. With `?federated=1` the answer carries the
 * provider's end-session URL (RP-initiated logout); the ID token hint never left the server
 * before.
 */
export async function logout(ctx: AuthContext, request: Request): Promise<Response> {
  const { options } = ctx;
  const federated = new URL(request.url).searchParams.get('federated') === '1';
  // Every session cookie that verifies ends, not only the one that would sign in: with a
  // planted duplicate (two live sessions), signing out must still end the user's own.
  const sessionIds = await ctx.sessionIdsFrom(request);
  let endSessionUrl: string | undefined;
  for (const sessionId of sessionIds) {
    const { sessions, tokens } = await ctx.stores();
    const tokenSet = await tokens.load(sessionId);
    await Promise.all([sessions.delete(sessionId), tokens.delete(sessionId)]);
    if (tokenSet === undefined) continue;
    const revocations: Promise<unknown>[] = [];
    if (tokenSet.refreshToken)
      revocations.push(revoke(ctx, tokenSet.refreshToken, 'refresh_token'));
    revocations.push(revoke(ctx, tokenSet.accessToken, 'access_token'));
    await Promise.all(revocations);
    if (federated && endSessionUrl === undefined && options.provider.buildEndSessionUrl) {
      try {
        const url = await withDeadline(
          async () =>
            options.provider.buildEndSessionUrl?.({
              idTokenHint: tokenSet.idToken,
              postLogoutRedirectUri:
                options.afterLogoutPath === undefined
                  ? undefined
                  : `${options.origin}${options.afterLogoutPath}`,
            }),
          options.providerTimeoutMs,
        );
        endSessionUrl = url?.href;
      } catch (error) {
        ctx.report(error, 'logout');
      }
    }
  }
  const body = federated
    ? { success: true, endSessionUrl: endSessionUrl ?? null }
    : { success: true };
  return json(body, 200, { 'set-cookie': ctx.clearSessionCookie() });
}

async function revoke(
  ctx: AuthContext,
  token: string,
  hint: 'access_token' | 'refresh_token',
): Promise<void> {
  try {
    await withDeadline(
      () => ctx.options.provider.revokeToken(token, hint),
      ctx.options.providerTimeoutMs,
    );
  } catch (error) {
    ctx.report(error, 'logout');
  }
}
