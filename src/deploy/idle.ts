/**
 * The idle timeout: a session unused for `idleTimeout` seconds ends, whatever its absolute
 * `sessionTtl` says. Sliding without a store write per request: a session is touched (its
 * `lastActiveAt` saved) at most once per {@link touchInterval}, so a session is kept between
 * `idleTimeout - interval` and `idleTimeout` after its last use.
 *
 * @module
 */

import type { TokenStore } from '../stores/types.js';
import { nowSeconds } from '../tokens/token-set.js';
import type { UserSession } from './session.js';
import type { SessionStore } from './session-store.js';

/** Longest time between two touches of a session, in seconds. */
export const MAX_TOUCH_INTERVAL = 60;

/**
 * Seconds between two touches of one session: a tenth of `idleTimeout`, at least 1 and at
 * most {@link MAX_TOUCH_INTERVAL}, so that a short idle timeout still works and a long one
 * costs one write a minute per active session.
 */
export function touchInterval(idleTimeout: number): number {
  return Math.min(MAX_TOUCH_INTERVAL, Math.max(1, Math.floor(idleTimeout / 10)));
}

/** Whether `session` has been unused for `idleTimeout` seconds (never, without one). */
export function isIdle(
  session: UserSession,
  idleTimeout: number | undefined,
  now = nowSeconds(),
): boolean {
  return (
    idleTimeout !== undefined && now - (session.lastActiveAt ?? session.createdAt) >= idleTimeout
  );
}

/** The stores the tracker writes to. */
interface IdleStores {
  sessions: SessionStore;
  tokens: TokenStore;
}

/** Applies the idle timeout to sessions as they are read for a request. */
export class IdleTracker {
  readonly #timeout: number;
  readonly #interval: number;
  readonly #stores: () => IdleStores | undefined;
  /** Sessions with a touch under way: concurrent requests do not write again. */
  readonly #touching = new Set<string>();

  constructor(idleTimeout: number, stores: () => IdleStores | undefined) {
    this.#timeout = idleTimeout;
    this.#interval = touchInterval(idleTimeout);
    this.#stores = stores;
  }

  /**
   * `session` when it is still in use, else `null` after ending it. Synchronous: the touch
   * and the end are written in the background (a failed write costs at most one interval).
   */
  check(session: UserSession, use = true): UserSession | null {
    const now = nowSeconds();
    const elapsed = now - (session.lastActiveAt ?? session.createdAt);
    if (elapsed < this.#interval) return session;
    const stores = this.#stores();
    if (elapsed >= this.#timeout) {
      if (stores !== undefined) {
        // Through the store's own delete, like every other session end.
        void Promise.allSettled([
          stores.sessions.delete(session.sessionId),
          stores.tokens.delete(session.sessionId),
        ]);
      }
      return null;
    }
    if (use && stores !== undefined && !this.#touching.has(session.sessionId)) {
      this.#touch(stores, { ...session, lastActiveAt: now });
    }
    return session;
  }

  #touch(stores: IdleStores, session: UserSession): void {
    const id = session.sessionId;
    this.#touching.add(id);
    const { sessions } = stores;
    const write =
      sessions.touch !== undefined ? sessions.touch(session, this.#timeout) : sessions.set(session);
    write.then(
      () => this.#touching.delete(id),
      () => this.#touching.delete(id),
    );
  }
}
