/**
 * Deploy-mode state in Redis, shared by every worker and machine that points at it.
 * Sessions are one JSON string per key (a single `GET` per protected request); pending logins
 * are single use through `GETDEL` (Redis ≥ 6.2); locks are `SET NX PX` released by a
 * compare-and-delete script.
 *
 * @module
 */
import { nowSeconds } from '../tokens/token-set.js';
import { randomId } from './crypto.js';
import { type RedisKeys, redisKeys } from './redis-keys.js';
import {
  getWithFallback,
  type RedisClient,
  ReplicaAck,
  type ReplicaAckOptions,
  type ReplicaReader,
} from './redis-replicas.js';
import { parseUserSession, type UserSession } from './session.js';
import { type PendingLogin, parsePendingLogin, type SessionStore } from './session-store.js';

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /**
   * The ioredis client: a `Redis` (one node, or Sentinel-managed) or a `Cluster`. Give it
   * bounded timeouts (see `docs/deploy.md`) and an `error` listener.
   */
  client: RedisClient;
  /** Prefix of every key. Default `'authflow:'`. */
  keyPrefix?: string;
  /** How session ends wait for replicas (`WAIT`). Default: one replica, 500 ms, when there is one. */
  replicaAck?: ReplicaAckOptions;
  /** Where session reads go while the primary is down (see `replicaReader`). Default: nowhere. */
  replicaReader?: ReplicaReader;
}

const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const HIT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n`;

/** Keeps sessions, pending logins, rate-limit counters and refresh locks in Redis. */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;
  readonly #ack: ReplicaAck;
  readonly #replicas: ReplicaReader | undefined;

  constructor(options: RedisSessionStoreOptions) {
    this.#redis = options.client;
    this.#keys = redisKeys(options.keyPrefix);
    this.#ack = new ReplicaAck(options.client, options.replicaAck);
    this.#replicas = options.replicaReader;
  }

  get(sessionId: string): Promise<UserSession | undefined> {
    // A plain `then`, not `async`/`await`: one Promise less on every protected request.
    const key = this.#keys.session(sessionId);
    return getWithFallback(this.#redis, this.#replicas, key).then((text) => {
      const session = text === null ? undefined : parseUserSession(parseJson(text));
      return session !== undefined && session.expiresAt > nowSeconds() ? session : undefined;
    });
  }

  async set(session: UserSession): Promise<void> {
    const ttl = session.expiresAt - nowSeconds();
    if (ttl <= 0) return;
    await this.#redis.set(
      this.#keys.session(session.sessionId),
      JSON.stringify(session),
      'EX',
      ttl,
    );
  }

  /** Acknowledged once a replica has it too: a failover never brings an ended session back. */
  async delete(sessionId: string): Promise<boolean> {
    const key = this.#keys.session(sessionId);
    return Number(await this.#ack.write(key, (pipeline) => pipeline.del(key))) > 0;
  }

  async putPendingLogin(login: PendingLogin, ttlSeconds: number): Promise<void> {
    await this.#redis.set(
      this.#keys.pendingLogin(login.state),
      JSON.stringify(login),
      'EX',
      ttlSeconds,
    );
  }

  async takePendingLogin(state: string): Promise<PendingLogin | undefined> {
    const text = await this.#redis.getdel(this.#keys.pendingLogin(state));
    return text === null ? undefined : parsePendingLogin(parseJson(text));
  }

  async hit(key: string, windowSeconds: number): Promise<number> {
    return Number(await this.#redis.eval(HIT, 1, this.#keys.rate(key), String(windowSeconds)));
  }

  async acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomId(16);
    const ok = await this.#redis.set(this.#keys.lock(key), token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : undefined;
  }

  async releaseLock(key: string, token: string): Promise<void> {
    await this.#redis.eval(RELEASE_LOCK, 1, this.#keys.lock(key), token);
  }

  async isLocked(key: string): Promise<boolean> {
    return (await this.#redis.exists(this.#keys.lock(key))) > 0;
  }
}

/** `JSON.parse` that answers `undefined` instead of throwing on a corrupt value. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
