/**
 * The token store contract. Stores hold {@link OAuthTokenSet}s under string keys.
 *
 * @module
 */
import type { OAuthTokenSet } from '../tokens/token-set.js';

/** Where token sets live. Every method may reject with `StoreError` (`ErrorCodes.STORE_ERROR`). */
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
