/**
 * What every route handler shares: options, stores, the cookie signer, and the session
 * cookie read (one cookie parse, one signature check, one store read per request).
 *
 * @module
 */
import { MemoryTokenStore } from '../stores/memory.js';
import type { TokenStore } from '../stores/types.js';
import { readSingleCookie, serializeCookie } from './cookies.js';
import { ValueSigner } from './crypto.js';
import { MemorySessionStore } from './memory-session-store.js';
import type { ResolvedOptions } from './options.js';
import { BOUNDED_REDIS_OPTIONS, createRedisClient, handleRedisErrors } from './redis-client.js';
import { replicaReader } from './redis-replicas.js';
import { RedisSessionStore } from './redis-session-store.js';
import { RedisTokenStore } from './redis-token-store.js';
import type { UserSession } from './session.js';
import type { SessionStore } from './session-store.js';
import { guardSessionStore, guardTokenStore, StoreUnavailableError } from './store-guard.js';

/** Lifetime of a pending login and of its binding cookie, in seconds. */
export const PENDING_LOGIN_TTL = 600;

/** The stores behind an auth app. */
export interface Stores {
  sessions: SessionStore;
  tokens: TokenStore;
  /** Closes what authflow opened itself (a Redis client created from a URL). */
  close(): Promise<void>;
  /**
   * `sessions` itself when it is authflow's own memory store, which can be read synchronously
   * (it neither fails nor hangs, so it needs no guard either).
   */
  memorySessions?: MemorySessionStore;
}

/** Shared state of one auth app. */
export class AuthContext {
  readonly options: ResolvedOptions;
  readonly signer: ValueSigner;
  #stores: Stores | undefined;
  readonly #storesPromise: Promise<Stores>;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.signer = new ValueSigner(options.secret);
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
   * A missing, duplicated, oversized, tampered, foreign or wrong-purpose cookie all give
   * `undefined`, without a store lookup. Synchronous for a cookie verified before (a returning
   * session, the common case); a Promise when Web Crypto has to check it.
   */
  sessionIdFrom(request: Request): string | undefined | Promise<string | undefined> {
    const raw = readSingleCookie(request, this.options.cookieName);
    if (raw === undefined) return undefined;
    return this.signer.verifiedBefore('session', raw) ?? this.signer.verify('session', raw);
  }

  /**
   * The request's live session, or `null`. Fails with StoreUnavailableError when the store is
   * down. Synchronous when nothing needs waiting for (a known cookie and authflow's own memory
   * store): every protected request comes through here, and each Promise costs a hop through
   * the microtask queue (more still under async_hooks / AsyncLocalStorage).
   */
  readSession(request: Request): UserSession | null | Promise<UserSession | null> {
    const sessionId = this.sessionIdFrom(request);
    if (sessionId === undefined) return null;
    if (typeof sessionId !== 'string') {
      return sessionId.then((id) => (id === undefined ? null : this.#sessionById(id)));
    }
    return this.#sessionById(sessionId);
  }

  #sessionById(sessionId: string): UserSession | null | Promise<UserSession | null> {
    const stores = this.#stores;
    if (stores?.memorySessions !== undefined) {
      return liveSession(stores.memorySessions.getSync(sessionId), sessionId);
    }
    // Redis or an app's store: one guarded read, and one `then` for both outcomes.
    const read = stores
      ? stores.sessions.get(sessionId)
      : this.#storesPromise.then((ready) => ready.sessions.get(sessionId));
    return read.then(
      (session) => liveSession(session, sessionId),
      (error) => {
        // The guard already gives StoreUnavailableError; creating the stores may fail otherwise.
        throw error instanceof StoreUnavailableError
          ? error
          : new StoreUnavailableError({ cause: error });
      },
    );
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

  /** The binding secret in the request's login-binding cookie when its signature is valid. */
  async bindingSecretFrom(request: Request): Promise<string | undefined> {
    const raw = readSingleCookie(request, this.options.bindingCookieName);
    return raw === undefined ? undefined : this.signer.verify('login-binding', raw);
  }

  /** Reports an error to the app's `onError`, never letting the hook itself break a request. */
  report(error: unknown, route: string): void {
    try {
      this.options.onError?.(error, { route });
    } catch {
      // The app's logger failing must not turn into a 500.
    }
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
            commandTimeout: Math.min(BOUNDED_REDIS_OPTIONS.commandTimeout ?? 1500, timeout),
          })
        : options.redis;
    handleRedisErrors(client);
    // A client authflow configured bounds every command itself (commandTimeout, no offline
    // queue): no extra timer per call. An app's client gets the storeTimeout deadline.
    const deadline = ownClient ? undefined : timeout;
    const keyPrefix = options.keyPrefix;
    const replicaAck = options.replicaAck;
    const replicas = options.sessionStore ? undefined : await replicaReader(client);
    return {
      sessions: guardSessionStore(
        options.sessionStore ??
          new RedisSessionStore({ client, keyPrefix, replicaAck, replicaReader: replicas }),
        options.sessionStore ? timeout : deadline,
      ),
      tokens: guardTokenStore(
        options.tokenStore ??
          new RedisTokenStore({ client, keyPrefix, ttlSeconds: options.sessionTtl, replicaAck }),
        options.tokenStore ? timeout : deadline,
      ),
      close: async () => {
        replicas?.close();
        if (ownClient) client.disconnect();
      },
    };
  }
  // authflow's own memory stores neither fail nor hang: no guard on the hot path. Any store the
  // app brings is guarded like Redis.
  const tokens = options.tokenStore
    ? guardTokenStore(options.tokenStore, timeout)
    : new MemoryTokenStore();
  if (options.sessionStore) {
    return {
      sessions: guardSessionStore(options.sessionStore, timeout),
      tokens,
      close: async () => {},
    };
  }
  const sessions = new MemorySessionStore({
    // Token sets of sessions that ended unseen must not pile up in memory.
    onSessionEnd: (sessionId) => void tokens.delete(sessionId).catch(() => {}),
  });
  return { sessions, tokens, close: async () => {}, memorySessions: sessions };
}
