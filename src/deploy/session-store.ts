/**
 * The contract of deploy mode's server-side state, apart from token sets: sessions, pending
 * logins, rate-limit counters and refresh locks. One store holds all of it, so that pointing
 * every worker at the same Redis makes them share everything.
 *
 * The name `SessionStore` is public API and says what it holds most, but it is deploy mode's
 * whole state store: pending logins (`putPendingLogin`, `takePendingLogin`), rate-limit
 * counters (`hit`) and refresh locks (`acquireLock` ...) live there too. An implementation
 * must provide all of them. See "Names" in ARCHITECTURE.md.
 *
 * @module
 */
import type { UserSession } from './session.js';

/** A login started at `/auth/login` and not finished yet. Stored under its `state`. */
export interface PendingLogin {
  /** The OAuth `state` (also the key). */
  state: string;
  /** The OIDC `nonce`, when the provider is OpenID Connect. */
  nonce?: string;
  /** The PKCE code verifier, when PKCE is on. */
  codeVerifier?: string;
  /** Where to send the browser after sign-in (already validated). */
  returnTo?: string;
  /** SHA-256 (base64url) of the secret in the browser's login-binding cookie. */
  bindingHash: string;
  /** When the login started (epoch seconds). */
  createdAt: number;
}

/**
 * Where deploy mode keeps sessions, pending logins, rate limits and refresh locks (not only
 * sessions, despite the name). Every method rejects when the backing store cannot be reached;
 * authflow answers 503 then. authflow ships `MemorySessionStore` (one process) and
 * `RedisSessionStore` (every worker on one Redis); give one as
 * `createAuthApp({ sessionStore })`.
 */
export interface SessionStore {
  /** The session under `sessionId`, or `undefined` (missing or expired). One round trip. */
  get(sessionId: string): Promise<UserSession | undefined>;
  /** Saves a session until its `expiresAt`. */
  set(session: UserSession): Promise<void>;
  /**
   * Ends a session. Resolves `true` when one was deleted. Every way a session ends (logout,
   * refresh failure, a login replacing it, back-channel logout, ...) must come through here:
   * it is where the Redis store tells every worker's session cache.
   */
  delete(sessionId: string): Promise<boolean>;
  /**
   * Saves `session` again only if it still exists, living at most `ttlSeconds` more (and never
   * past its `expiresAt`): the sliding idle timeout. Optional: without it, `set` is used, which
   * may bring back a session ended a moment before.
   */
  touch?(session: UserSession, ttlSeconds: number): Promise<boolean>;
  /**
   * Saves a pending login for `ttlSeconds`. `client` names who started it (the rate-limit key:
   * an address, an IPv6 /64, or a browser), so that a store with a size cap drops the logins
   * of the client holding the most, never other users' sign-ins in flight.
   */
  putPendingLogin(login: PendingLogin, ttlSeconds: number, client?: string): Promise<void>;
  /**
   * Removes and returns the pending login under `state` when its `bindingHash` is
   * `bindingHash`, in one atomic step (single use). Resolves `'unbound'`, leaving the login in
   * place, when it belongs to another browser: a callback carrying someone else's state must
   * not consume their sign-in. Resolves `undefined` when there is none (unknown, expired, used).
   */
  takePendingLogin(
    state: string,
    bindingHash: string,
  ): Promise<PendingLogin | 'unbound' | undefined>;
  /** Counts one hit on `key` in a fixed window of `windowSeconds`; resolves the count so far. */
  hit(key: string, windowSeconds: number): Promise<number>;
  /**
   * Takes the lock `key` for `ttlMs` (a short lease) if it is free; resolves an owner token, or
   * `undefined` when taken. A lock whose lease ran out is free.
   */
  acquireLock(key: string, ttlMs: number): Promise<string | undefined>;
  /**
   * Extends the lease of the lock `key` to `ttlMs` from now, if `token` still owns it (checked
   * and extended atomically). Resolves `false` when it does not: the lease ran out first.
   * The holder renews while it works, so a holder that dies loses the lock within one lease.
   */
  renewLock(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Releases the lock `key` if `token` still owns it. */
  releaseLock(key: string, token: string): Promise<void>;
  /** Whether the lock `key` is held. */
  isLocked(key: string): Promise<boolean>;
}

/** Checks a value read back from a store; returns it typed, or `undefined`. */
export function parsePendingLogin(value: unknown): PendingLogin | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.state !== 'string' || typeof v.bindingHash !== 'string') return undefined;
  if (typeof v.createdAt !== 'number') return undefined;
  for (const key of ['nonce', 'codeVerifier', 'returnTo'] as const) {
    if (v[key] !== undefined && typeof v[key] !== 'string') return undefined;
  }
  return v as unknown as PendingLogin;
}
