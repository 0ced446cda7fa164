/**
 * Refreshing a session's token set in deploy mode: once per session across all workers, under
 * a short lock lease that the holder renews while it works.
 *
 * @module
 */
import { AuthenticationError, ErrorCodes } from '../errors.js';
import { isRefreshDue, isStillValid } from '../tokens/refresh-due.js';
import { canRefresh, mergeRefreshedTokens, type OAuthTokenSet } from '../tokens/token-set.js';
import type { AuthContext } from './context.js';
import { withDeadline } from './provider-call.js';

/**
 * Lease of a session's refresh lock, in milliseconds. The holder renews it every quarter lease
 * while it waits for the provider, so a worker that dies holding it (SIGKILL, OOM, a lost
 * machine) blocks the others for at most this long, not for the provider's whole timeout.
 */
export const REFRESH_LOCK_LEASE_MS = 2000;
/** How often a worker waiting for another's refresh looks whether the lock is gone. */
const POLL_MS = 50;
const pause = () => new Promise((resolve) => setTimeout(resolve, POLL_MS));

/** Options of {@link refreshSessionTokens}. */
export interface RefreshSessionOptions {
  /**
   * Refresh when the access token expires within this many seconds (never more than half its
   * lifetime: see `effectiveRefreshBuffer`). Default `Infinity`: as early as allowed, i.e. in
   * the second half of the token's lifetime, so that no client's buffer is refused.
   */
  bufferSeconds?: number;
}

/** What {@link refreshSessionTokens} ended with. */
export type RefreshSessionResult =
  | {
      ok: true;
      /** The session's valid token set (refreshed now, by another worker, or not due yet). */
      tokens: OAuthTokenSet;
      /** Whether this call refreshed it at the provider. */
      refreshed: boolean;
    }
  | {
      ok: false;
      /**
       * `not_authenticated`: no token set; `refresh_unavailable`: due but no refresh token;
       * `reauth_required`: the provider rejected the refresh token (session and tokens are
       * deleted); `refresh_failed`: the provider failed or did not answer in time (nothing
       * changed, try later).
       */
      code: 'not_authenticated' | 'refresh_unavailable' | 'reauth_required' | 'refresh_failed';
    };

/**
 * Makes sure the token set of session `sessionId` is fresh: refreshes it at the provider when it
 * is due, at most once across all workers. A worker that finds another refreshing waits for it
 * and uses the set it stored while that set is valid; if the holder dies or gives up without
 * storing one, the waiter refreshes itself. Each call sends at most one request to the
 * provider, and never two for one session at once.
 */
export async function refreshSessionTokens(
  ctx: AuthContext,
  sessionId: string,
  options: RefreshSessionOptions = {},
): Promise<RefreshSessionResult> {
  const buffer = options.bufferSeconds ?? Number.POSITIVE_INFINITY;
  const { sessions, tokens } = await ctx.stores();
  const before = await tokens.load(sessionId);
  if (before === undefined) return failure('not_authenticated');
  if (!isRefreshDue(before, buffer)) return { ok: true, tokens: before, refreshed: false };

  const lockKey = `refresh:${sessionId}`;
  // The longest a caller waits: another's whole provider call, plus a lease on either side.
  const deadline = Date.now() + ctx.options.providerTimeoutMs + 2 * REFRESH_LOCK_LEASE_MS;
  for (;;) {
    const lock = await sessions.acquireLock(lockKey, REFRESH_LOCK_LEASE_MS);
    if (lock !== undefined) {
      return refreshHoldingLock(ctx, sessionId, before, buffer, lockKey, lock);
    }
    while (await sessions.isLocked(lockKey)) {
      if (Date.now() >= deadline) return failure('refresh_failed');
      await pause();
    }
    const after = await tokens.load(sessionId);
    if (after === undefined) return failure('not_authenticated');
    const usable = usableAsItIs(after, before, buffer);
    if (usable) return { ok: true, tokens: after, refreshed: false };
    if (Date.now() >= deadline) return failure('refresh_failed');
    // The holder died or gave up without storing a new set: take the lock ourselves, after a
    // pause, so that a store whose lock is neither free nor held cannot make this loop spin.
    await pause();
  }
}

/** A set found after waiting is used when someone refreshed it (and it is valid), or when it is not due. */
function usableAsItIs(found: OAuthTokenSet, before: OAuthTokenSet, buffer: number): boolean {
  return (
    (found.accessToken !== before.accessToken && isStillValid(found)) ||
    !isRefreshDue(found, buffer)
  );
}

async function refreshHoldingLock(
  ctx: AuthContext,
  id: string,
  before: OAuthTokenSet,
  buffer: number,
  lockKey: string,
  lock: string,
): Promise<RefreshSessionResult> {
  const { sessions, tokens } = await ctx.stores();
  // Renewed while we work: the lease outlives a slow provider, not a dead worker. A lease we
  // lost (the store was unreachable for a whole lease) may be another worker's now: stop, so
  // that two workers never send the same rotating refresh token.
  const lost = new AbortController();
  const renewal = setInterval(() => {
    sessions.renewLock(lockKey, lock, REFRESH_LOCK_LEASE_MS).then(
      (owned) => {
        if (!owned) lost.abort();
      },
      () => {},
    );
  }, REFRESH_LOCK_LEASE_MS / 4);
  try {
    // Re-read under the lock: another worker may have rotated the set since `before`.
    const current = await tokens.load(id);
    if (current === undefined) return failure('not_authenticated');
    if (usableAsItIs(current, before, buffer))
      return { ok: true, tokens: current, refreshed: false };
    if (!canRefresh(current)) return failure('refresh_unavailable');
    let next: OAuthTokenSet;
    try {
      next = await withDeadline(
        (signal) =>
          // The current ID token lets the provider check that a refreshed one is about the
          // same user from the same issuer (OIDC Core §12.2).
          ctx.options.provider.refreshTokens(current.refreshToken as string, {
            signal: AbortSignal.any([signal, lost.signal]),
            idToken: current.idToken,
          }),
        ctx.options.providerTimeoutMs,
      );
    } catch (error) {
      ctx.report(error, 'refresh');
      if (error instanceof AuthenticationError && error.code === ErrorCodes.REAUTH_REQUIRED) {
        // The lock only binds deploy refreshes: the app's own jobs (a SessionManager on the
        // same store) may have rotated the refresh token meanwhile, which is why it was
        // rejected. Their set is the live one: use it, never delete it.
        const stored = await tokens.load(id);
        if (stored !== undefined && stored.refreshToken !== current.refreshToken) {
          return { ok: true, tokens: stored, refreshed: false };
        }
        await Promise.allSettled([tokens.delete(id), sessions.delete(id)]);
        return failure('reauth_required');
      }
      // The old token set stays as it was.
      return failure('refresh_failed');
    }
    const merged = mergeRefreshedTokens(current, next);
    await tokens.save(id, merged);
    // A session that ended while the provider answered (logout, back-channel logout, sign out
    // everywhere) must not get its token set back: the save above recreated it.
    if ((await sessions.get(id)) === undefined) {
      await tokens.delete(id);
      return failure('not_authenticated');
    }
    return { ok: true, tokens: merged, refreshed: true };
  } finally {
    clearInterval(renewal);
    await sessions.releaseLock(lockKey, lock).catch(() => {});
  }
}

function failure(code: Extract<RefreshSessionResult, { ok: false }>['code']): RefreshSessionResult {
  return { ok: false, code };
}
