/**
 * `POST /auth/refresh`: refreshes the session's token set server-side.
 *
 * @module
 */
import { AuthenticationError, ErrorCodes } from '../../errors.js';
import { canRefresh, mergeRefreshedTokens, type OAuthTokenSet } from '../../tokens/token-set.js';
import type { AuthContext } from '../context.js';
import { errorResponse, json } from '../http.js';
import { withDeadline } from '../provider-call.js';

/** How often a worker that lost the refresh lock looks whether the winner is done. */
const POLL_MS = 50;

/**
 * One refresh per session at a time across all workers: the winner of the lock refreshes and
 * saves the rotated token set before answering; the others wait for it and answer with its
 * result, so a rotating refresh token is never sent twice.
 */
export async function refresh(ctx: AuthContext, request: Request): Promise<Response> {
  const session = await ctx.readSession(request);
  if (session === null) return notAuthenticated();
  const { tokens } = await ctx.stores();
  const id = session.sessionId;
  const before = await tokens.load(id);
  if (before === undefined) return notAuthenticated();
  return refreshSessionTokens(ctx, id, before);
}

/**
 * Replaces the token set `before` of session `id` with a refreshed one, under the session's
 * cross-worker refresh lock (shared by the route and `auth.getAccessToken`). When another
 * worker already replaced `before`, answers with its set without calling the provider.
 */
export async function refreshSessionTokens(
  ctx: AuthContext,
  id: string,
  before: OAuthTokenSet,
): Promise<Response> {
  const { sessions, tokens } = await ctx.stores();
  const lockKey = `refresh:${id}`;
  const lockMs = ctx.options.providerTimeoutMs + 2000;
  const lock = await sessions.acquireLock(lockKey, lockMs);
  if (lock === undefined) return waitForWinner(ctx, id, before, lockKey, lockMs);
  try {
    // Re-read under the lock: another worker may have rotated the set since `before`.
    const current = await tokens.load(id);
    if (current === undefined) return notAuthenticated();
    if (current.accessToken !== before.accessToken) return success(current);
    if (!canRefresh(current)) {
      return errorResponse(
        400,
        'refresh_unavailable',
        'The provider gave no refresh token. Sign in again to renew.',
      );
    }
    let next: OAuthTokenSet;
    try {
      next = await withDeadline(
        (signal) =>
          // The current ID token lets the provider check that a refreshed one is about the
          // same user from the same issuer (OIDC Core §12.2).
          ctx.options.provider.refreshTokens(current.refreshToken as string, {
            signal,
            idToken: current.idToken,
          }),
        ctx.options.providerTimeoutMs,
      );
    } catch (error) {
      ctx.report(error, 'refresh');
      if (error instanceof AuthenticationError && error.code === ErrorCodes.REAUTH_REQUIRED) {
        // The lock only binds this route: the app's own jobs (a SessionManager on the same
        // store) may have rotated the refresh token meanwhile, which is why it was rejected.
        // Their set is the live one: use it, never delete it.
        const stored = await tokens.load(id);
        if (stored !== undefined && stored.refreshToken !== current.refreshToken) {
          return success(stored);
        }
        await Promise.allSettled([tokens.delete(id), sessions.delete(id)]);
        return errorResponse(401, 'reauth_required', 'The sign-in has expired. Sign in again.', {
          'set-cookie': ctx.clearSessionCookie(),
        });
      }
      // The old token set stays as it was.
      return errorResponse(
        502,
        'refresh_failed',
        'The provider could not refresh the sign-in. Try again later.',
      );
    }
    const merged = mergeRefreshedTokens(current, next);
    await tokens.save(id, merged);
    return success(merged);
  } finally {
    await sessions.releaseLock(lockKey, lock).catch(() => {});
  }
}

async function waitForWinner(
  ctx: AuthContext,
  id: string,
  before: OAuthTokenSet,
  lockKey: string,
  lockMs: number,
): Promise<Response> {
  const { sessions, tokens } = await ctx.stores();
  const deadline = Date.now() + lockMs;
  while (Date.now() < deadline && (await sessions.isLocked(lockKey))) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const after = await tokens.load(id);
  if (after === undefined) return notAuthenticated();
  if (after.accessToken !== before.accessToken) return success(after);
  return errorResponse(
    502,
    'refresh_failed',
    'The provider could not refresh the sign-in. Try again later.',
  );
}

function success(tokens: OAuthTokenSet): Response {
  return json({ success: true, expiresAt: tokens.expiresAt ?? null, tokenType: tokens.tokenType });
}

function notAuthenticated(): Response {
  return errorResponse(401, 'not_authenticated', 'Not signed in. Sign in first.');
}
