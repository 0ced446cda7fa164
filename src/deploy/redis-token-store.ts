/**
 * A {@link TokenStore} in Redis. Unlike PyWry's, it never ties a token set's lifetime to the
 * access token's expiry (which threw refresh tokens away): a token set lives until it is
 * deleted, or for `ttlSeconds` from its first save when that is set (deploy mode sets it to
 * the session's lifetime). Saving again keeps the remaining lifetime.
 *
 * Why it lives in `src/deploy` while the other token stores are in `src/stores`: it is built
 * on deploy mode's Redis layer (the client types, `redisKeys()` so its keys share the
 * app's prefix and Cluster hash slot rules, `ReplicaAck` so a failover cannot bring back a
 * rotated refresh token), and `src/stores` is a lower layer that may not import `src/deploy`.
 * It is exported from `authflow/deploy` with the rest of the Redis support. Any code may
 * still use it as a plain {@link TokenStore}: it only takes an ioredis client you made.
 *
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { ErrorCodes, StoreError } from '../errors.js';
import type { TokenStore } from '../stores/types.js';
import { type OAuthTokenSet, parseTokenSet } from '../tokens/token-set.js';
import { fromKeyPart, type RedisKeys, redisKeys } from './redis-keys.js';
import { type RedisClient, ReplicaAck, type ReplicaAckOptions } from './redis-replicas.js';
import { parseJson } from './redis-session-store.js';

/** Options of {@link RedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /**
   * The ioredis client: a `Redis` (one node, or Sentinel-managed) or a `Cluster`. Give it
   * bounded timeouts and an `error` listener.
   */
  client: RedisClient;
  /** Prefix of every key; token sets live under `${keyPrefix}tokens:${key}`. Default `'authflow:'`. */
  keyPrefix?: string;
  /** Lifetime of a token set from its first save, in seconds. Default: no expiry. */
  ttlSeconds?: number;
  /**
   * How saves and deletes wait for replicas (`WAIT`), so that a failover never brings back a
   * refresh token the provider has already rotated. Default: one replica, 500 ms, when there is one.
   */
  replicaAck?: ReplicaAckOptions;
}

// Keeps the remaining TTL of an existing key (so a refresh does not extend the set's life),
// else sets the configured one (0 = none).
const SAVE = `local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then return redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl) end
if tonumber(ARGV[2]) > 0 then return redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
return redis.call('SET', KEYS[1], ARGV[1])`;

/** Keeps token sets in Redis as JSON strings. */
export class RedisTokenStore implements TokenStore {
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;
  readonly #ttl: number;
  readonly #ack: ReplicaAck;

  constructor(options: RedisTokenStoreOptions) {
    this.#redis = options.client;
    this.#keys = redisKeys(options.keyPrefix);
    this.#ttl = options.ttlSeconds ?? 0;
    this.#ack = new ReplicaAck(options.client, options.replicaAck);
  }

  /** Acknowledged once a replica has it too (see `replicaAck`). */
  async save(key: string, tokens: OAuthTokenSet): Promise<void> {
    const name = this.#keys.tokens(key);
    await this.#run(() =>
      this.#ack.write(name, (pipeline) =>
        pipeline.eval(SAVE, 1, name, JSON.stringify(tokens), String(this.#ttl)),
      ),
    );
  }

  async load(key: string): Promise<OAuthTokenSet | undefined> {
    const text = await this.#run(() => this.#redis.get(this.#keys.tokens(key)));
    return text === null ? undefined : parseTokenSet(parseJson(text));
  }

  /** Acknowledged once a replica has it too (see `replicaAck`). */
  async delete(key: string): Promise<boolean> {
    const name = this.#keys.tokens(key);
    const deleted = await this.#run(() => this.#ack.write(name, (pipeline) => pipeline.del(name)));
    return Number(deleted) > 0;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#run(() => this.#redis.exists(this.#keys.tokens(key)))) > 0;
  }

  /** Every stored key. On a Cluster, every primary is scanned. */
  async listKeys(): Promise<string[]> {
    const prefix = this.#keys.tokensPrefix;
    const nodes = this.#redis.isCluster
      ? (this.#redis as Cluster).nodes('master')
      : [this.#redis as Redis];
    const keys = new Set<string>();
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, batch] = await this.#run(() =>
          node.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 200),
        );
        cursor = next;
        for (const key of batch) keys.add(fromKeyPart(key.slice(prefix.length)));
      } while (cursor !== '0');
    }
    return [...keys];
  }

  async #run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (cause) {
      throw new StoreError('The Redis token store could not be reached. Check that Redis is up.', {
        code: ErrorCodes.STORE_ERROR,
        cause,
      });
    }
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
