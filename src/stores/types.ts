/**
 * The token store contract. Stores hold {@link OAuthTokenSet}s under string keys.
 *
 * @module
 */
import type { OAuthTokenSet } from '../tokens/token-set.js';

/**
 * Where token sets live. Every method may reject with `StoreError` (`ErrorCodes.STORE_ERROR`).
 * authflow ships `MemoryTokenStore`, `FileTokenStore`, `KeyringTokenStore` and, in
 * `authflow/deploy`, `RedisTokenStore`; one test suite holds all four to this contract.
 *
 * @example
 * ```ts
 * // A store of your own: anything that keeps JSON under a key.
 * class MapTokenStore implements TokenStore {
 *   readonly #map = new Map<string, string>();
 *   async save(key: string, tokens: OAuthTokenSet) { this.#map.set(key, JSON.stringify(tokens)); }
 *   async load(key: string) {
 *     const text = this.#map.get(key);
 *     return text === undefined ? undefined : parseTokenSet(JSON.parse(text));
 *   }
 *   async delete(key: string) { return this.#map.delete(key); }
 *   async exists(key: string) { return this.#map.has(key); }
 *   async listKeys() { return [...this.#map.keys()]; }
 * }
 * ```
 */
export interface TokenStore {
  /** Saves (replaces) the token set under `key`. */
  save(key: string, tokens: OAuthTokenSet): Promise<void>;
  /** Loads the token set under `key`, or `undefined` when there is none. */
  load(key: string): Promise<OAuthTokenSet | undefined>;
  /** Deletes the token set under `key`. Resolves `true` if one was deleted. */
  delete(key: string): Promise<boolean>;
  /** Whether a token set is stored under `key`. */
  exists(key: string): Promise<boolean>;
  /** All keys that hold a token set. */
  listKeys(): Promise<string[]>;
}
