/**
 * Sessions per user and per provider session: an index from a user id (or the provider's
 * `sid`) to session ids, to list a user's sessions and end them together ("sign out
 * everywhere"), and to find the sessions a back-channel logout names.
 *
 * "Session" here is deploy mode's `UserSession` (a signed-in browser), not the native
 * `SessionManager`'s token set.
 *
 * The index only points at sessions; the session store stays the truth. An entry whose
 * session is gone (signed out, idle, evicted) is skipped when read and dropped then. Every
 * session end goes through the store's own `delete`.
 *
 * @module
 */
import { decodeJwt } from 'jose';
import { nowSeconds, type OAuthTokenSet } from '../tokens/token-set.js';
import type { AuthContext } from './context.js';
import { isIdle } from './idle.js';
import { type RedisKeys, redisKeys } from './redis-keys.js';
import type { RedisClient } from './redis-replicas.js';
import type { UserSession } from './session.js';
import { bounded } from './store-guard.js';

/**
 * Where the index is kept: memory for one process ({@link MemorySessionIndex}), Redis for
 * every worker ({@link RedisSessionIndex}): the app uses Redis's when given the `redis`
 * option, memory's otherwise. Apps reach it through `auth.listSessions()` and
 * `auth.endSessions()`.
 *
 * @see {@link https://openid.net/specs/openid-connect-backchannel-1_0.html OpenID Connect Back-Channel Logout (sessions by `sid`)}
 */
export interface SessionIndex {
  /** Adds `sessionId` under `key` until `expiresAt` (epoch seconds). */
  add(key: string, sessionId: string, expiresAt: number): Promise<void>;
  /** The session ids under `key` that may still be live. */
  list(key: string): Promise<string[]>;
  /** Drops `sessionIds` from `key`. */
  remove(key: string, sessionIds: readonly string[]): Promise<void>;
}

/** Index key of a user's sessions. */
export function userIndexKey(userId: string): string {
  return `user:${userId}`;
}

/** Index key of the sessions signed in through one provider session (`sid`). */
export function sidIndexKey(sid: string): string {
  return `sid:${sid}`;
}

/** Longest user id or `sid` indexed; longer ones come from no sane provider. */
const MAX_KEY_LENGTH = 512;

/** Most keys the memory index keeps (twice the memory session store's default cap). */
const MAX_MEMORY_KEYS = 200_000;

/**
 * The index in this process's memory: expired entries are swept, and at most
 * {@link MAX_MEMORY_KEYS} keys are kept (the least recently added go first).
 */
export class MemorySessionIndex implements SessionIndex {
  readonly #entries = new Map<string, Map<string, number>>();
  #lastSweepMs = 0;

  async add(key: string, sessionId: string, expiresAt: number): Promise<void> {
    this.#sweep();
    const ids = this.#entries.get(key) ?? new Map<string, number>();
    // Re-inserted: the Map's order is the order of last use, for eviction.
    this.#entries.delete(key);
    this.#entries.set(key, ids);
    ids.set(sessionId, expiresAt);
    while (this.#entries.size > MAX_MEMORY_KEYS) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
  }

  async list(key: string): Promise<string[]> {
    const ids = this.#entries.get(key);
    if (ids === undefined) return [];
    const now = nowSeconds();
    for (const [id, expiresAt] of ids) if (expiresAt <= now) ids.delete(id);
    if (ids.size === 0) this.#entries.delete(key);
    return [...ids.keys()];
  }

  async remove(key: string, sessionIds: readonly string[]): Promise<void> {
    const ids = this.#entries.get(key);
    if (ids === undefined) return;
    for (const id of sessionIds) ids.delete(id);
    if (ids.size === 0) this.#entries.delete(key);
  }

  /** Drops expired entries, at most once a minute. */
  #sweep(): void {
    const nowMs = Date.now();
    if (nowMs - this.#lastSweepMs < 60_000) return;
    this.#lastSweepMs = nowMs;
    const now = Math.floor(nowMs / 1000);
    for (const [key, ids] of this.#entries) {
      for (const [id, expiresAt] of ids) if (expiresAt <= now) ids.delete(id);
      if (ids.size === 0) this.#entries.delete(key);
    }
  }
}

// One sorted set per key, scored by expiry: drop the expired, add, and let the key live as
// long as its longest session. One key per script (one Redis Cluster slot).
const ADD = `redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('EXPIREAT', KEYS[1], last[2])
return 1`;

/** The index in Redis (`<keyPrefix>index:<key>`, a sorted set), shared by every worker. */
export class RedisSessionIndex implements SessionIndex {
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;

  constructor(client: RedisClient, keyPrefix: string) {
    this.#redis = client;
    this.#keys = redisKeys(keyPrefix);
  }

  async add(key: string, sessionId: string, expiresAt: number): Promise<void> {
    await this.#redis.eval(
      ADD,
      1,
      this.#keys.index(key),
      String(expiresAt),
      sessionId,
      String(nowSeconds()),
    );
  }

  async list(key: string): Promise<string[]> {
    return this.#redis.zrangebyscore(this.#keys.index(key), `(${nowSeconds()}`, '+inf');
  }

  async remove(key: string, sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length > 0) await this.#redis.zrem(this.#keys.index(key), ...sessionIds);
  }
}

/** An index whose calls are bounded by `timeoutMs` and fail as `StoreUnavailableError`. */
export function guardSessionIndex(
  index: SessionIndex,
  timeoutMs: number | undefined,
): SessionIndex {
  return {
    add: (key, sessionId, expiresAt) =>
      bounded(() => index.add(key, sessionId, expiresAt), timeoutMs),
    list: (key) => bounded(() => index.list(key), timeoutMs),
    remove: (key, sessionIds) => bounded(() => index.remove(key, sessionIds), timeoutMs),
  };
}

/** The index keys of `session`: its user, and its provider session when known. */
function keysOf(session: Pick<UserSession, 'userId' | 'sid'>): string[] {
  const keys: string[] = [];
  if (session.userId.length <= MAX_KEY_LENGTH) keys.push(userIndexKey(session.userId));
  if (session.sid !== undefined && session.sid.length <= MAX_KEY_LENGTH) {
    keys.push(sidIndexKey(session.sid));
  }
  return keys;
}

/**
 * What a new session records besides the user: the provider's session id (`sid` of the ID
 * token, already validated by the code exchange) for back-channel logout, and its first use.
 */
export function signInRecord(
  tokens: OAuthTokenSet,
  now: number,
): Pick<UserSession, 'sid' | 'lastActiveAt'> {
  let sid: unknown;
  try {
    sid = tokens.idToken === undefined ? undefined : decodeJwt(tokens.idToken).sid;
  } catch {
    sid = undefined;
  }
  return typeof sid === 'string' && sid.length > 0
    ? { sid, lastActiveAt: now }
    : { lastActiveAt: now };
}

/** Indexes a new session under its user and its provider session. */
export async function indexSession(ctx: AuthContext, session: UserSession): Promise<void> {
  const { index } = await ctx.stores();
  await Promise.all(
    keysOf(session).map((key) => index.add(key, session.sessionId, session.expiresAt)),
  );
}

/** The live sessions under an index key, dropping the entries whose session is gone. */
export async function sessionsUnder(ctx: AuthContext, key: string): Promise<UserSession[]> {
  if (key.length > MAX_KEY_LENGTH + 8) return [];
  const { index, sessions, tokens } = await ctx.stores();
  const ids = await index.list(key);
  const now = nowSeconds();
  const found = await Promise.all(
    ids.map(async (id) => {
      const session = await sessions.get(id);
      if (session?.sessionId !== id) return undefined;
      // Reading is not using: no touch here. An idle session is over: end it as the read
      // path would (through the store's delete, with its token set), not only skip it.
      if (isIdle(session, ctx.options.idleTimeout, now)) {
        await Promise.allSettled([sessions.delete(id), tokens.delete(id)]);
        return undefined;
      }
      return session;
    }),
  );
  const live = found.filter((session): session is UserSession => session !== undefined);
  const gone = ids.filter((_, i) => found[i] === undefined);
  if (gone.length > 0) await index.remove(key, gone).catch(() => {});
  return live;
}

/** The live sessions of `userId`, oldest first. */
export async function listUserSessions(ctx: AuthContext, userId: string): Promise<UserSession[]> {
  const live = await sessionsUnder(ctx, userIndexKey(userId));
  return live.filter((s) => s.userId === userId).sort((a, b) => a.createdAt - b.createdAt);
}

/**
 * Ends `sessions` through the store's `delete` (and deletes their token sets); resolves how
 * many were still there.
 */
export async function endSessionList(
  ctx: AuthContext,
  sessions: readonly UserSession[],
): Promise<number> {
  const stores = await ctx.stores();
  const ended = await Promise.all(
    sessions.map(async (session) => {
      const [deleted] = await Promise.all([
        stores.sessions.delete(session.sessionId),
        stores.tokens.delete(session.sessionId),
      ]);
      await Promise.all(
        keysOf(session).map((key) => stores.index.remove(key, [session.sessionId])),
      ).catch(() => {});
      return deleted;
    }),
  );
  return ended.filter(Boolean).length;
}

/** Ends every session of `userId` on every worker; resolves how many were ended. */
export async function endUserSessions(ctx: AuthContext, userId: string): Promise<number> {
  return endSessionList(ctx, await listUserSessions(ctx, userId));
}
