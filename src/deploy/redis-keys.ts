/**
 * Every Redis key and channel name of deploy mode, built in one place so that each is
 * cluster-safe by construction:
 * - every command and script authflow sends touches exactly one key, so no two keys have to
 *   share a slot and none carries a hash tag: sessions, token sets and locks spread over all
 *   the primaries of a Redis Cluster;
 * - a value from outside (a token-store key, a user id, a `jti`) cannot smuggle in a hash tag:
 *   `{`, `}` and `%` are percent-encoded, so nobody can pile keys onto one slot;
 * - a key prefix with a brace is refused, since `{…}` in it would put every key in one slot.
 *
 * A script that ever needs two keys must build them with {@link sameSlot}, which puts one
 * hash tag in both; `test/deploy/redis-keys.test.ts` checks on a real cluster node that every
 * script authflow runs touches keys of one slot.
 *
 * @module
 */
import { ConfigurationError } from '../errors.js';

/** The keys and channels of one deploy-mode app. */
export interface RedisKeys {
  /** The prefix, e.g. `'authflow:'`. */
  readonly prefix: string;
  /** A session: `<prefix>session:<sessionId>`. */
  session(sessionId: string): string;
  /** A token set: `<prefix>tokens:<key>`. */
  tokens(key: string): string;
  /** What every token-set key starts with (for `SCAN`). */
  readonly tokensPrefix: string;
  /** A pending login: `<prefix>pending:<state>`. */
  pendingLogin(state: string): string;
  /** A rate-limit counter: `<prefix>rate:<key>`. */
  rate(key: string): string;
  /** A lock: `<prefix>lock:<key>`. */
  lock(key: string): string;
  /**
   * A session index (a sorted set of session ids): `<prefix>index:<key>`, where `key` is
   * `user:<userId>` or `sid:<provider session id>`.
   */
  index(key: string): string;
  /**
   * The pub/sub channel on which session writes and ends are announced to every worker's
   * session cache (`PUBLISH` reaches every node of a Cluster).
   */
  readonly sessionInvalidateChannel: string;
}

/** Builds the key names under `prefix` (checked with {@link checkKeyPrefix}). */
export function redisKeys(prefix = 'authflow:'): RedisKeys {
  checkKeyPrefix(prefix);
  const tokensPrefix = `${prefix}tokens:`;
  return {
    prefix,
    // Session ids and states are authflow's own base64url: no encoding needed on the hot path.
    session: (sessionId) => `${prefix}session:${keyPart(sessionId)}`,
    tokens: (key) => tokensPrefix + keyPart(key),
    tokensPrefix,
    pendingLogin: (state) => `${prefix}pending:${keyPart(state)}`,
    rate: (key) => `${prefix}rate:${keyPart(key)}`,
    lock: (key) => `${prefix}lock:${keyPart(key)}`,
    index: (key) => `${prefix}index:${keyPart(key)}`,
    sessionInvalidateChannel: `${prefix}session-invalidate`,
  };
}

/** Throws `ConfigurationError` unless `prefix` is a usable key prefix; returns it. */
export function checkKeyPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length > 64 || /[{}\s]/.test(prefix)) {
    throw new ConfigurationError(
      "Option `keyPrefix` must be at most 64 characters without spaces or braces, e.g. 'authflow:' (a {hash tag} would put every key in one Cluster slot).",
    );
  }
  return prefix;
}

/**
 * `value` with `%`, `{` and `}` percent-encoded, so that it never forms a hash tag.
 * Values without them (every id authflow makes) come back unchanged.
 */
export function keyPart(value: string): string {
  return /[%{}]/.test(value)
    ? value.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    : value;
}

/** Reverses {@link keyPart}. */
export function fromKeyPart(part: string): string {
  return part.includes('%')
    ? part.replace(/%(25|7B|7D)/g, (_, hex: string) =>
        String.fromCharCode(Number.parseInt(hex, 16)),
      )
    : part;
}

/**
 * Names for keys that one script must touch together: each is `<prefix><kind>:{<tag>}`, and
 * Redis Cluster hashes only the part in braces, so all of them land in the slot of `tag`.
 */
export function sameSlot(prefix: string, tag: string, ...kinds: string[]): string[] {
  // Redis hashes the whole key when the braces are empty.
  if (tag === '') throw new TypeError('sameSlot() needs a non-empty tag.');
  const hashTag = `{${keyPart(tag)}}`;
  return kinds.map((kind) => `${prefix}${kind}:${hashTag}`);
}
