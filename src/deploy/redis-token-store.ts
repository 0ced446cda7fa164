/**
 * A {@link TokenStore} in Redis. Unlike PyWry's, it never ties a token set's lifetime to the
 * access token's expiry (which threw refresh tokens away): a token set lives until it is
 * deleted, or for `ttlSeconds` from its first save when that is set (deploy mode sets it to
 * the session's lifetime). Saving again keeps the remaining lifetime.
 *
 * @module
 */
import type { Redis } from 'ioredis';
import { TokenError } from '../errors.js';
import type { TokenStore } from '../stores/types.js';
import { type OAuthTokenSet, parseTokenSet } from '../tokens/token-set.js';
import { parseJson } from './redis-session-store.js';

/** Options of {@link RedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /** The ioredis client. Give it bounded timeouts and an `error` listener. */
  client: Redis;
  /** Prefix of every key; token sets live under `${keyPrefix}tokens:${key}`. Default `'authflow:'`. */
  keyPrefix?: string;
  /** Lifetime of a token set from its first save, in seconds. Default: no expiry. */
  ttlSeconds?: number;
}

// Keeps the remaining TTL of an existing key (so a refresh does not extend the set's life),
// else sets the configured one (0 = none).
const SAVE = `local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then return redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl) end
if tonumber(ARGV[2]) > 0 then return redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
return redis.call('SET', KEYS[1], ARGV[1])`;

/** Keeps token sets in Redis as JSON strings. */
export class RedisTokenStore implements TokenStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttl: number;

  constructor(options: RedisTokenStoreOptions) {
    this.#redis = options.client;
    this.#prefix = `${options.keyPrefix ?? 'authflow:'}tokens:`;
    this.#ttl = options.ttlSeconds ?? 0;
  }

  async save(key: string, tokens: OAuthTokenSet): Promise<void> {
    await this.#run(() =>
      this.#redis.eval(SAVE, 1, this.#prefix + key, JSON.stringify(tokens), String(this.#ttl)),
    );
  }

  async load(key: string): Promise<OAuthTokenSet | undefined> {
    const text = await this.#run(() => this.#redis.get(this.#prefix + key));
    return text === null ? undefined : parseTokenSet(parseJson(text));
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#run(() => this.#redis.del(this.#prefix + key))) > 0;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#run(() => this.#redis.exists(this.#prefix + key))) > 0;
  }

  async listKeys(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.#run(() =>
        this.#redis.scan(cursor, 'MATCH', `${escapeGlob(this.#prefix)}*`, 'COUNT', 200),
      );
      cursor = next;
      for (const key of batch) keys.push(key.slice(this.#prefix.length));
    } while (cursor !== '0');
    return keys;
  }

  async #run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (cause) {
      throw new TokenError('The Redis token store could not be reached. Check that Redis is up.', {
        code: 'store_error',
        cause,
      });
    }
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
