/**
 * Deploy-mode state in this process's memory: for one process only (development, tests,
 * single-worker apps). Use {@link RedisSessionStore} as soon as there is more than one worker.
 *
 * @module
 */
import { nowSeconds } from '../tokens/token-set.js';
import { randomId, timingSafeEqualStrings } from './crypto.js';
import { deepFreeze, parseUserSession, type UserSession } from './session.js';
import type { PendingLogin, SessionStore } from './session-store.js';

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /**
   * Most pending logins kept at once. Beyond it the oldest login of the client holding the
   * most is dropped (see `putPendingLogin`'s `client`), so one client cannot push out other
   * users' sign-ins in flight. Default 10000.
   */
  maxPendingLogins?: number;
  /** Most sessions kept at once; the oldest are dropped beyond it. Default 100000. */
  maxSessions?: number;
  /** Called with the id of each session that expired or was evicted (e.g. to delete its tokens). */
  onSessionEnd?: (sessionId: string) => void;
}

/** Most rate-limit counters kept at once (one per client and window). */
const MAX_COUNTERS = 100_000;

interface Expiring<T> {
  value: T;
  expiresAtMs: number;
}

/** The client of pending logins put without one. */
const NO_CLIENT = '';

/** Keeps sessions, pending logins, rate-limit counters and refresh locks in memory, bounded. */
export class MemorySessionStore implements SessionStore {
  // Deep-frozen copies, handed out as they are: callers cannot change stored state, and a read
  // costs no copy (a JSON.parse per read was the largest cost of a protected request).
  readonly #sessions = new Map<string, { session: UserSession; expiresAt: number }>();
  readonly #pending = new Map<string, Expiring<PendingLogin> & { client: string }>();
  /** Client → the states of its pending logins, oldest first. */
  readonly #pendingByClient = new Map<string, Set<string>>();
  readonly #hits = new Map<string, Expiring<number>>();
  readonly #locks = new Map<string, Expiring<string>>();
  readonly #maxPending: number;
  readonly #maxSessions: number;
  readonly #onSessionEnd: ((sessionId: string) => void) | undefined;
  #lastSweepMs = 0;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#maxPending = options.maxPendingLogins ?? 10_000;
    this.#maxSessions = options.maxSessions ?? 100_000;
    this.#onSessionEnd = options.onSessionEnd;
  }

  async get(sessionId: string): Promise<UserSession | undefined> {
    return this.getSync(sessionId);
  }

  /**
   * {@link get} without the Promise: memory needs no waiting, and the session middleware reads
   * a session on every protected request. The session is deep-frozen (read-only): change a
   * session with {@link set}.
   */
  getSync(sessionId: string): UserSession | undefined {
    const entry = this.#sessions.get(sessionId);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= nowSeconds()) {
      this.#endSession(sessionId);
      return undefined;
    }
    return entry.session;
  }

  async set(session: UserSession): Promise<void> {
    if (parseUserSession(session) === undefined) throw new TypeError('Not a session.');
    this.#sweep();
    this.#sessions.delete(session.sessionId);
    // A copy (later changes to the caller's object do not leak in), frozen all the way down.
    const copy = deepFreeze(JSON.parse(JSON.stringify(session)) as UserSession);
    this.#sessions.set(session.sessionId, { session: copy, expiresAt: copy.expiresAt });
    while (this.#sessions.size > this.#maxSessions) {
      const oldest = this.#sessions.keys().next().value as string;
      this.#endSession(oldest);
    }
  }

  async delete(sessionId: string): Promise<boolean> {
    return this.#sessions.delete(sessionId);
  }

  async touch(session: UserSession, ttlSeconds: number): Promise<boolean> {
    if (this.getSync(session.sessionId) === undefined) return false;
    const copy = deepFreeze(JSON.parse(JSON.stringify(session)) as UserSession);
    const expiresAt = Math.min(copy.expiresAt, nowSeconds() + ttlSeconds);
    this.#sessions.set(session.sessionId, { session: copy, expiresAt });
    return true;
  }

  async putPendingLogin(login: PendingLogin, ttlSeconds: number, client?: string): Promise<void> {
    this.#sweep();
    const owner = client ?? NO_CLIENT;
    this.#deletePending(login.state);
    this.#pending.set(login.state, {
      value: structuredClone(login),
      expiresAtMs: Date.now() + ttlSeconds * 1000,
      client: owner,
    });
    const states = this.#pendingByClient.get(owner) ?? new Set<string>();
    this.#pendingByClient.set(owner, states);
    states.add(login.state);
    while (this.#pending.size > this.#maxPending) this.#deletePending(this.#evictionVictim());
  }

  async takePendingLogin(
    state: string,
    bindingHash: string,
  ): Promise<PendingLogin | 'unbound' | undefined> {
    const entry = this.#pending.get(state);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= Date.now()) {
      this.#deletePending(state);
      return undefined;
    }
    // Checked before it is taken: another browser's callback leaves it for its owner.
    if (!timingSafeEqualStrings(entry.value.bindingHash, bindingHash)) return 'unbound';
    this.#deletePending(state);
    return entry.value;
  }

  /**
   * The state of the pending login to drop at the cap: the oldest of the client holding the
   * most. Only when every client holds one (a flood from as many addresses as the cap) is it
   * simply the oldest.
   */
  #evictionVictim(): string {
    let heaviest: Set<string> | undefined;
    for (const states of this.#pendingByClient.values()) {
      if (heaviest === undefined || states.size > heaviest.size) heaviest = states;
    }
    if (heaviest !== undefined && heaviest.size > 1)
      return heaviest.values().next().value as string;
    return this.#pending.keys().next().value as string;
  }

  #deletePending(state: string): void {
    const entry = this.#pending.get(state);
    if (entry === undefined) return;
    this.#pending.delete(state);
    const states = this.#pendingByClient.get(entry.client);
    states?.delete(state);
    if (states?.size === 0) this.#pendingByClient.delete(entry.client);
  }

  async hit(key: string, windowSeconds: number): Promise<number> {
    const now = Date.now();
    const entry = this.#hits.get(key);
    if (entry === undefined || entry.expiresAtMs <= now) {
      this.#sweep();
      this.#hits.delete(key);
      this.#hits.set(key, { value: 1, expiresAtMs: now + windowSeconds * 1000 });
      while (this.#hits.size > MAX_COUNTERS)
        this.#hits.delete(this.#hits.keys().next().value as string);
      return 1;
    }
    entry.value += 1;
    return entry.value;
  }

  async acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    const entry = this.#locks.get(key);
    if (entry !== undefined && entry.expiresAtMs > Date.now()) return undefined;
    const token = randomId(16);
    this.#locks.set(key, { value: token, expiresAtMs: Date.now() + ttlMs });
    return token;
  }

  async renewLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    const entry = this.#locks.get(key);
    const now = Date.now();
    if (entry === undefined || entry.value !== token || entry.expiresAtMs <= now) return false;
    entry.expiresAtMs = now + ttlMs;
    return true;
  }

  async releaseLock(key: string, token: string): Promise<void> {
    if (this.#locks.get(key)?.value === token) this.#locks.delete(key);
  }

  async isLocked(key: string): Promise<boolean> {
    const entry = this.#locks.get(key);
    return entry !== undefined && entry.expiresAtMs > Date.now();
  }

  #endSession(sessionId: string): void {
    if (this.#sessions.delete(sessionId)) this.#onSessionEnd?.(sessionId);
  }

  /** Drops expired entries, at most once a second, so that memory stays bounded by live data. */
  #sweep(): void {
    const now = Date.now();
    if (now - this.#lastSweepMs < 1000) return;
    this.#lastSweepMs = now;
    for (const [state, entry] of this.#pending) {
      if (entry.expiresAtMs <= now) this.#deletePending(state);
    }
    for (const map of [this.#hits, this.#locks]) {
      for (const [key, entry] of map) if (entry.expiresAtMs <= now) map.delete(key);
    }
    const nowSec = Math.floor(now / 1000);
    for (const [id, entry] of this.#sessions) if (entry.expiresAt <= nowSec) this.#endSession(id);
  }
}
