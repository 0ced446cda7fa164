/**
 * A bounded in-process cache of the sessions a worker reads from Redis, kept true across
 * workers by Redis pub/sub: every write or deletion of a session (through
 * {@link RedisSessionStore}) publishes the session id on an invalidation channel, and every
 * worker drops its copy on the message. While the channel is down the cache is not trusted:
 * it is emptied at once and every read goes to Redis until the channel is up again (see
 * `invalidation-channel.ts`: one subscription on one node, one per primary on a Cluster).
 *
 * @module
 */

import type { InvalidationChannel } from './invalidation-channel.js';
import { wasReadFromReplica } from './redis-replicas.js';
import { deepFreeze, type UserSession } from './session.js';

/** Options of the session cache (`sessionCache` of `createAuthApp`). */
export interface SessionCacheOptions {
  /** Most sessions kept. Default 10000. */
  maxEntries?: number;
  /** Most memory used, in bytes, estimated from each session's JSON size. Default 16 MiB. */
  maxBytes?: number;
  /**
   * Longest time in seconds a session is served from memory before Redis is read again, as a
   * backstop for writes that bypass authflow's store. Default 60.
   */
  maxAgeSeconds?: number;
}

/** Estimated bytes of an entry beyond its JSON (Map slot, entry object, frozen object shapes). */
const ENTRY_OVERHEAD = 256;

interface Entry {
  session: UserSession;
  bytes: number;
  /** Epoch ms after which the entry is not served (session end or max age, the earlier). */
  validUntilMs: number;
}

/**
 * Sessions read from Redis, served from memory while the invalidation channel is up.
 * Reads that an invalidation overtook (a logout on another worker while this worker's `GET`
 * was in flight) are never stored.
 */
export class SessionCache {
  readonly #entries = new Map<string, Entry>();
  /** Reads in flight: id → token. An invalidation removes the id, so that read is not kept. */
  readonly #reading = new Map<string, object>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #channel: InvalidationChannel;
  #bytes = 0;
  #trusted = false;
  #closed = false;

  /**
   * @param channel Where invalidations come from; the cache listens to it, trusts itself only
   *   while it is up, and closes it on {@link close}.
   */
  constructor(channel: InvalidationChannel, options: SessionCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    this.#maxAgeMs = (options.maxAgeSeconds ?? 60) * 1000;
    this.#channel = channel;
    channel.listen({
      message: (sessionId) => this.invalidate(sessionId),
      down: () => this.#distrust(),
      // Whatever was published while the channel was down is unknown: start empty.
      up: () => {
        if (this.#closed) return;
        this.#distrust();
        this.#trusted = true;
      },
    });
  }

  /** Whether sessions are served from memory now (the invalidation channel is up). */
  get trusted(): boolean {
    return this.#trusted;
  }

  /** The cached live session under `sessionId`, or `undefined` (not cached, stale, or not trusted). */
  get(sessionId: string): UserSession | undefined {
    const entry = this.#entries.get(sessionId);
    if (entry === undefined) return undefined;
    if (entry.validUntilMs <= Date.now()) {
      this.#remove(sessionId, entry);
      return undefined;
    }
    return entry.session;
  }

  /**
   * Reads through the cache: a cached session at once, else `load(sessionId)` (one Redis
   * `GET`) and the result kept, unless the session was invalidated or the channel dropped
   * while it loaded. `load` takes the id so that a hit allocates nothing (no closure per read).
   */
  read(
    sessionId: string,
    load: (sessionId: string) => Promise<UserSession | null>,
  ): UserSession | Promise<UserSession | null> {
    const hit = this.get(sessionId);
    if (hit !== undefined) return hit;
    if (!this.#trusted) return load(sessionId);
    const token = {};
    this.#reading.set(sessionId, token);
    return load(sessionId).then(
      (session) => {
        if (this.#reading.get(sessionId) !== token) return session;
        this.#reading.delete(sessionId);
        // A replica's answer is served but not kept: it may lag behind a logout.
        if (session !== null && !wasReadFromReplica(session)) this.#store(session);
        return session;
      },
      (error: unknown) => {
        if (this.#reading.get(sessionId) === token) this.#reading.delete(sessionId);
        throw error;
      },
    );
  }

  /** Drops `sessionId` from this worker's cache (other workers get the published message). */
  invalidate(sessionId: string): void {
    this.#reading.delete(sessionId);
    const entry = this.#entries.get(sessionId);
    if (entry !== undefined) this.#remove(sessionId, entry);
  }

  /** Empties the cache and closes the invalidation channel. */
  close(): void {
    this.#closed = true;
    this.#distrust();
    this.#channel.close();
  }

  #store(session: UserSession): void {
    const bytes = JSON.stringify(session).length * 2 + ENTRY_OVERHEAD;
    if (bytes > this.#maxBytes) return;
    const validUntilMs = Math.min(session.expiresAt * 1000, Date.now() + this.#maxAgeMs);
    const previous = this.#entries.get(session.sessionId);
    if (previous !== undefined) this.#remove(session.sessionId, previous);
    // Frozen: the same object is handed to every request that reads this session.
    this.#entries.set(session.sessionId, { session: deepFreeze(session), bytes, validUntilMs });
    this.#bytes += bytes;
    // Oldest first (Map keeps insertion order).
    for (const [id, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.#remove(id, entry);
    }
  }

  #remove(sessionId: string, entry: Entry): void {
    this.#entries.delete(sessionId);
    this.#bytes -= entry.bytes;
  }

  #distrust(): void {
    this.#trusted = false;
    this.#entries.clear();
    this.#reading.clear();
    this.#bytes = 0;
  }
}
