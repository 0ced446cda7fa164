/**
 * What every route handler shares: options, stores, the cookie signer, and the session
 * cookie read (one cookie parse, one signature check, one store read per request).
 *
 * @module
 */
import { MemoryTokenStore } from '../stores/memory.js';
import type { TokenStore } from '../stores/types.js';
import { readCookieOnce, serializeCookie } from './cookies.js';
import { type SignaturePurpose, ValueSigner } from './crypto.js';
import { IdleTracker } from './idle.js';
import { openInvalidationChannel } from './invalidation-channel.js';
import { MemorySessionStore } from './memory-session-store.js';
import type { ResolvedOptions } from './options.js';
import { redactCommandArgs } from './redact-command-args.js';
import { BOUNDED_REDIS_OPTIONS, createRedisClient, handleRedisErrors } from './redis-client.js';
import { redisKeys } from './redis-keys.js';
import { replicaReader } from './redis-replicas.js';
import { RedisSessionStore } from './redis-session-store.js';
import { RedisTokenStore } from './redis-token-store.js';
import type { UserSession } from './session.js';
import { SessionCache } from './session-cache.js';
import type { SessionStore } from './session-store.js';
import { guardSessionStore, guardTokenStore, StoreUnavailableError } from './store-guard.js';
import {
  guardSessionIndex,
  MemorySessionIndex,
  RedisSessionIndex,
  type SessionIndex,
} from './user-sessions.js';

/** Lifetime of a pending login and of its binding cookie, in seconds. */
export const PENDING_LOGIN_TTL = 600;

/** Most values of one cookie name that are verified (a browser holds a few dozen cookies per site). */
const MAX_DUPLICATE_COOKIES = 16;

/** The stores behind an auth app. */
export interface Stores {
  sessions: SessionStore;
  tokens: TokenStore;
  /** Session ids per user and per provider session (`sid`). */
  index: SessionIndex;
  /** Closes what authflow opened itself (a Redis client created from a URL, the cache). */
  close(): Promise<void>;
  /**
   * The hot path of every protected request: the live session under an id, or `null`.
   * Synchronous when the session is at hand (memory store, cache hit); otherwise a Promise
   * that rejects only with StoreUnavailableError.
   */
  readSession(sessionId: string): UserSession | null | Promise<UserSession | null>;
}

/** Shared state of one auth app. */
export class AuthContext {
  readonly options: ResolvedOptions;
  readonly signer: ValueSigner;
  #stores: Stores | undefined;
  readonly #storesPromise: Promise<Stores>;
  readonly #idle: IdleTracker | undefined;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.signer = new ValueSigner(options.secret);
    this.#idle =
      options.idleTimeout === undefined
        ? undefined
        : new IdleTracker(options.idleTimeout, () => this.#stores);
    this.#storesPromise = createStores(options).then((stores) => {
      this.#stores = stores;
      return stores;
    });
    // A failure surfaces on first use, as a 503; do not let it be an unhandled rejection now.
    this.#storesPromise.catch(() => {});
  }

  /** The stores (created lazily when `redis` is a URL). */
  stores(): Stores | Promise<Stores> {
    return this.#stores ?? this.#storesPromise;
  }

  /**
   * The id in the request's session cookie when its signature is valid, else `undefined`.
   * A missing, oversized, tampered, foreign or wrong-purpose cookie all give `undefined`,
   * without a store lookup. Synchronous for a cookie verified before (a returning session, the
   * common case); a Promise when Web Crypto has to check it. A cookie sent several times (one
   * planted next to the real one) gives the one that verifies, or when several do, the one
   * whose session is live: a planted cookie can neither lock the user out nor be chosen over
   * the user's own session.
   */
  sessionIdFrom(request: Request): string | undefined | Promise<string | undefined> {
    const raw = readCookieOnce(request, this.options.cookieName);
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string') return this.#liveSessionIdAmong(raw);
    return this.signer.verifiedBefore('session', raw) ?? this.signer.verify('session', raw);
  }

  /** Every session id in the request's session cookies whose signature is valid. */
  async sessionIdsFrom(request: Request): Promise<string[]> {
    const raw = readCookieOnce(request, this.options.cookieName);
    return raw === undefined ? [] : this.#verifyAll('session', raw);
  }

  async #liveSessionIdAmong(values: string[]): Promise<string | undefined> {
    const ids = await this.#verifyAll('session', values);
    if (ids.length <= 1) return ids[0];
    const { sessions } = await this.stores();
    const live: string[] = [];
    for (const id of ids) if ((await sessions.get(id))?.sessionId === id) live.push(id);
    // Two live sessions in one browser: nothing tells the user's from a planted one.
    return live.length === 1 ? live[0] : undefined;
  }

  /** The distinct values inside `raw` (one or several signed texts) that verify for `purpose`. */
  async #verifyAll(purpose: SignaturePurpose, raw: string | string[]): Promise<string[]> {
    const texts = typeof raw === 'string' ? [raw] : raw.slice(0, MAX_DUPLICATE_COOKIES);
    const values = await Promise.all(texts.map((text) => this.signer.verify(purpose, text)));
    return [...new Set(values.filter((value) => value !== undefined))];
  }

  /**
   * The request's live session, or `null`. Fails with StoreUnavailableError when the store is
   * down. Synchronous when nothing needs waiting for (a known cookie and authflow's own memory
   * store): every protected request comes through here, and each Promise costs a hop through
   * the microtask queue (more still under async_hooks / AsyncLocalStorage).
   */
  readSession(request: Request, use = true): UserSession | null | Promise<UserSession | null> {
    const sessionId = this.sessionIdFrom(request);
    if (sessionId === undefined) return null;
    if (typeof sessionId !== 'string') {
      return sessionId.then((id) => (id === undefined ? null : this.#sessionById(id, use)));
    }
    return this.#sessionById(sessionId, use);
  }

  #sessionById(sessionId: string, use = true): UserSession | null | Promise<UserSession | null> {
    const stores = this.#stores;
    if (stores !== undefined) return this.#readLive(stores, sessionId, use);
    return this.#storesPromise.then(
      (ready) => this.#readLive(ready, sessionId, use),
      (cause: unknown) => {
        throw new StoreUnavailableError({ cause });
      },
    );
  }

  /** The store's read, then the idle timeout when there is one (synchronous when the read is). */
  #readLive(
    stores: Stores,
    sessionId: string,
    use: boolean,
  ): UserSession | null | Promise<UserSession | null> {
    const read = stores.readSession(sessionId);
    const idle = this.#idle;
    if (idle === undefined) return read;
    if (read instanceof Promise) {
      return read.then((live) => (live === null ? live : idle.check(live, use)));
    }
    return read === null ? read : idle.check(read, use);
  }

  /** Set-Cookie for a new session. */
  async sessionCookie(sessionId: string): Promise<string> {
    return serializeCookie(this.options.cookieName, await this.signer.sign('session', sessionId), {
      path: '/',
      maxAge: this.options.sessionTtl,
      secure: this.options.secure,
      sameSite: 'Lax',
    });
  }

  /** Set-Cookie that deletes the session cookie. */
  clearSessionCookie(): string {
    return serializeCookie(this.options.cookieName, '', {
      path: '/',
      maxAge: 0,
      secure: this.options.secure,
      sameSite: 'Lax',
    });
  }

  /**
   * Set-Cookie for the login-binding cookie: sent back only to the auth routes, or on https
   * to the whole site under a `__Host-` name (which requires `Path=/`).
   */
  async bindingCookie(secret: string): Promise<string> {
    return serializeCookie(
      this.options.bindingCookieName,
      await this.signer.sign('login-binding', secret),
      {
        path: this.options.secure ? '/' : this.options.basePath,
        maxAge: PENDING_LOGIN_TTL,
        secure: this.options.secure,
        sameSite: 'Lax',
      },
    );
  }

  /**
   * The binding secrets in the request's login-binding cookies whose signature is valid: one
   * normally, several when a cookie was planted next to the real one (the callback accepts the
   * one its pending login is bound to).
   */
  async bindingSecretsFrom(request: Request): Promise<string[]> {
    const raw = readCookieOnce(request, this.options.bindingCookieName);
    return raw === undefined ? [] : this.#verifyAll('login-binding', raw);
  }

  /** Reports an error to the app's `onError`, never letting the hook itself break a request. */
  report(error: unknown, route: string): void {
    reportTo(this.options.onError, error, route);
  }
}

/**
 * Hands `error` to `onError` without the arguments of failed Redis commands (session ids,
 * verifiers, tokens), never letting the hook itself break the caller.
 */
function reportTo(onError: ResolvedOptions['onError'], error: unknown, route: string): void {
  try {
    onError?.(redactCommandArgs(error), { route });
  } catch {
    // The app's logger failing must not turn into a 500 (or kill a background task).
  }
}

/** `session` when it is the one under `sessionId` (a store must never hand out another). */
function liveSession(session: UserSession | undefined, sessionId: string): UserSession | null {
  return session !== undefined && session.sessionId === sessionId ? session : null;
}

async function createStores(options: ResolvedOptions): Promise<Stores> {
  const timeout = options.storeTimeoutMs;
  if (options.redis !== undefined) {
    const ownClient = typeof options.redis === 'string';
    const client =
      typeof options.redis === 'string'
        ? await createRedisClient(options.redis, {
            // Long enough for a replica's `WAIT` (so that it ends as ReplicaAckError, not as a
            // client-side timeout), never longer than storeTimeout.
            commandTimeout: Math.min(
              timeout,
              Math.max(
                BOUNDED_REDIS_OPTIONS.commandTimeout ?? 1500,
                options.replicaAck.timeoutMs + 250,
              ),
            ),
          })
        : options.redis;
    handleRedisErrors(client);
    // A client authflow configured bounds every command itself (commandTimeout, no offline
    // queue): no extra timer per call. An app's client gets the storeTimeout deadline.
    const deadline = ownClient ? undefined : timeout;
    const keyPrefix = options.keyPrefix;
    const replicaAck = options.replicaAck;
    // While a primary is down, session reads go to its replica (authflow's session store only).
    const replicas = options.sessionStore ? undefined : await replicaReader(client);
    const closeClient = async () => {
      replicas?.close();
      if (ownClient) client.disconnect();
    };
    const tokens = guardTokenStore(
      options.tokenStore ??
        new RedisTokenStore({ client, keyPrefix, ttlSeconds: options.sessionTtl, replicaAck }),
      options.tokenStore ? timeout : deadline,
    );
    const index = guardSessionIndex(new RedisSessionIndex(client, keyPrefix), deadline);
    if (options.sessionStore) {
      const sessions = guardSessionStore(options.sessionStore, timeout);
      return { sessions, tokens, index, close: closeClient, readSession: guardedRead(sessions) };
    }
    const store = new RedisSessionStore({ client, keyPrefix, replicaAck, replicaReader: replicas });
    const guarded = guardSessionStore(store, deadline);
    // Authflow's own client: one GET and one `then` per protected request. An app's client:
    // through the guard, which bounds the wait.
    const read = ownClient ? (sessionId: string) => store.read(sessionId) : guardedRead(guarded);
    if (options.sessionCache === undefined) {
      return { sessions: guarded, tokens, index, close: closeClient, readSession: read };
    }
    // Subscribed on connections of its own: one node, or every primary of a Cluster.
    const channel = await openInvalidationChannel(
      client,
      redisKeys(keyPrefix).sessionInvalidateChannel,
      (error) => reportTo(options.onError, error, 'session-cache'),
    );
    const cache = new SessionCache(channel, options.sessionCache);
    return {
      // Ending or changing a session drops this worker's copy at once; the store publishes
      // the invalidation for the other workers.
      sessions: Object.assign(Object.create(guarded) as SessionStore, {
        set: (session: UserSession) => {
          cache.invalidate(session.sessionId);
          return guarded.set(session);
        },
        delete: (sessionId: string) => {
          cache.invalidate(sessionId);
          return guarded.delete(sessionId);
        },
        touch: (session: UserSession, ttlSeconds: number) => {
          cache.invalidate(session.sessionId);
          return guarded.touch?.(session, ttlSeconds) ?? guarded.set(session).then(() => true);
        },
      }),
      tokens,
      index,
      close: async () => {
        cache.close();
        await closeClient();
      },
      readSession: (sessionId) => cache.read(sessionId, read),
    };
  }
  // authflow's own memory stores neither fail nor hang: no guard on the hot path. Any store the
  // app brings is guarded like Redis.
  const tokens = options.tokenStore
    ? guardTokenStore(options.tokenStore, timeout)
    : new MemoryTokenStore();
  if (options.sessionStore) {
    const sessions = guardSessionStore(options.sessionStore, timeout);
    return {
      sessions,
      tokens,
      index: new MemorySessionIndex(),
      close: async () => {},
      readSession: guardedRead(sessions),
    };
  }
  const sessions = new MemorySessionStore({
    // Token sets of sessions that ended unseen must not pile up in memory.
    onSessionEnd: (sessionId) => void tokens.delete(sessionId).catch(() => {}),
  });
  return {
    sessions,
    tokens,
    index: new MemorySessionIndex(),
    close: async () => {},
    // Synchronous: memory needs no waiting.
    readSession: (sessionId) => liveSession(sessions.getSync(sessionId), sessionId),
  };
}

/** Reads through a guarded store (whose failures are already StoreUnavailableError). */
function guardedRead(sessions: SessionStore): (sessionId: string) => Promise<UserSession | null> {
  return (sessionId) => sessions.get(sessionId).then((session) => liveSession(session, sessionId));
}
