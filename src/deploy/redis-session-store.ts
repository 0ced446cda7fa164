/**
 * Deploy-mode state in Redis, shared by every worker and machine that points at it.
 * Sessions are one JSON string per key (a single `GET` per protected request); pending logins
 * are single use, taken by a script only when bound to the calling browser; locks are
 * `SET NX PX` leases, renewed by a compare-and-expire script and released by a
 * compare-and-delete script.
 *
 * @module
 */
import { nowSeconds } from '../tokens/token-set.js';
import { randomId } from './crypto.js';
import { type RedisKeys, redisKeys } from './redis-keys.js';
import {
  getWithFallback,
  markReadFromReplica,
  type RedisClient,
  ReplicaAck,
  type ReplicaAckOptions,
  type ReplicaReader,
} from './redis-replicas.js';
import { parseUserSession, type UserSession } from './session.js';
import { type PendingLogin, parsePendingLogin, type SessionStore } from './session-store.js';
import { StoreUnavailableError } from './store-guard.js';

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
const RENEW_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
/**
 * Deletes and returns the pending login in KEYS[1] only when its bindingHash is ARGV[1]; `0`
 * (and the login stays) when it is another browser's; nil when there is none. A corrupt value
 * is deleted. (The hash compared is of a 256-bit secret: its timing reveals nothing usable.)
 */
const TAKE_PENDING = `local v = redis.call('GET', KEYS[1])
if not v then return false end
local ok, login = pcall(cjson.decode, v)
if not ok or type(login) ~= 'table' then redis.call('DEL', KEYS[1]) return false end
if login.bindingHash ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return v`;
// A session is written or deleted together with a message on the invalidation channel, in one
// script (atomic, one key: fine on Redis Cluster), so that no worker's session cache can keep
// serving a session that ended or changed.
const SET_SESSION = `redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) redis.call('PUBLISH', ARGV[3], ARGV[4]) return 1`;
const DELETE_SESSION = `local n = redis.call('DEL', KEYS[1]) redis.call('PUBLISH', ARGV[1], ARGV[2]) return n`;
// The idle timeout's touch: only an existing session (XX: never brings back one that ended),
// announced like any other write so that no worker's cache keeps the old `lastActiveAt`.
const TOUCH_SESSION = `if redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'XX') then redis.call('PUBLISH', ARGV[3], ARGV[4]) return 1 end return 0`;
const HIT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n`;

/** Keeps sessions, pending logins, rate-limit counters and refresh locks in Redis. */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;
  readonly #channel: string;
  readonly #ack: ReplicaAck;
  readonly #replicas: ReplicaReader | undefined;

  constructor(options: RedisSessionStoreOptions) {
    this.#redis = options.client;
    this.#keys = redisKeys(options.keyPrefix);
    this.#channel = this.#keys.sessionInvalidateChannel;
    this.#ack = new ReplicaAck(options.client, options.replicaAck);
    this.#replicas = options.replicaReader;
  }

  get(sessionId: string): Promise<UserSession | undefined> {
    return this.read(sessionId).then((session) => session ?? undefined);
  }

  /**
   * The hot path behind every protected request: one `GET` (from a replica while the primary
   * is down) and one `then`, which parses, checks that the session is the one asked for and
   * live, and turns a Redis failure into StoreUnavailableError. Resolves `null` when there is
   * no live session.
   */
  read(sessionId: string): Promise<UserSession | null> {
    // Only with replicas to read from (Cluster, Sentinel): no closure on a single node's path.
    let fromReplica = false;
    const replicaAnswered =
      this.#replicas &&
      (() => {
        fromReplica = true;
      });
    const key = this.#keys.session(sessionId);
    return getWithFallback(this.#redis, this.#replicas, key, replicaAnswered).then(
      (text) => {
        const session = text === null ? undefined : parseUserSession(parseJson(text));
        if (
          session === undefined ||
          session.sessionId !== sessionId ||
          session.expiresAt <= nowSeconds()
        ) {
          return null;
        }
        if (fromReplica) markReadFromReplica(session);
        return session;
      },
      (cause: unknown) => {
        throw new StoreUnavailableError({ cause });
      },
    );
  }

  /** Saves the session and tells every worker's session cache to drop its copy. */
  async set(session: UserSession): Promise<void> {
    const ttl = session.expiresAt - nowSeconds();
    if (ttl <= 0) return;
    await this.#redis.eval(
      SET_SESSION,
      1,
      this.#keys.session(session.sessionId),
      JSON.stringify(session),
      String(ttl),
      this.#channel,
      session.sessionId,
    );
  }

  /**
   * Ends a session: deletes it and tells every worker's session cache to drop it, in one
   * atomic script, acknowledged once a replica has it too (a failover never brings an ended
   * session back). Every way a session ends (logout, refresh failure, a new login replacing
   * it, back-channel logout, sign-out everywhere, idle timeout) goes through here.
   */
  async delete(sessionId: string): Promise<boolean> {
    const key = this.#keys.session(sessionId);
    const deleted = await this.#ack.write(key, (pipeline) =>
      pipeline.eval(DELETE_SESSION, 1, key, this.#channel, sessionId),
    );
    return Number(deleted) > 0;
  }

  async touch(session: UserSession, ttlSeconds: number): Promise<boolean> {
    const ttl = Math.min(session.expiresAt - nowSeconds(), ttlSeconds);
    if (ttl <= 0) return false;
    const touched = await this.#redis.eval(
      TOUCH_SESSION,
      1,
      this.#keys.session(session.sessionId),
      JSON.stringify(session),
      String(ttl),
      this.#channel,
      session.sessionId,
    );
    return Number(touched) === 1;
  }

  async putPendingLogin(login: PendingLogin, ttlSeconds: number): Promise<void> {
    await this.#redis.set(
      this.#keys.pendingLogin(login.state),
      JSON.stringify(login),
      'EX',
      ttlSeconds,
    );
  }

  async takePendingLogin(
    state: string,
    bindingHash: string,
  ): Promise<PendingLogin | 'unbound' | undefined> {
    const result = await this.#redis.eval(
      TAKE_PENDING,
      1,
      this.#keys.pendingLogin(state),
      bindingHash,
    );
    if (result === 0) return 'unbound';
    return typeof result === 'string' ? parsePendingLogin(parseJson(result)) : undefined;
  }

  async hit(key: string, windowSeconds: number): Promise<number> {
    return Number(await this.#redis.eval(HIT, 1, this.#keys.rate(key), String(windowSeconds)));
  }

  async acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomId(16);
    const ok = await this.#redis.set(this.#keys.lock(key), token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : undefined;
  }

  async renewLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    const renewed = await this.#redis.eval(
      RENEW_LOCK,
      1,
      this.#keys.lock(key),
      token,
      String(Math.ceil(ttlMs)),
    );
    return Number(renewed) === 1;
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
