/**
 * `MemoryTokenStore`: token sets in this process's memory, gone when it exits. For tests,
 * short-lived tools and deploy mode on one process.
 *
 * @module
 */
import type { OAuthTokenSet } from '../tokens/token-set.js';
import type { TokenStore } from './types.js';

/**
 * Keeps token sets in this process's memory. Copies on the way in and out, so callers cannot
 * mutate stored state.
 *
 * @example
 * ```ts
 * const sessions = new SessionManager({ provider, tokenStore: new MemoryTokenStore() });
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  readonly #tokens = new Map<string, OAuthTokenSet>();

  async save(key: string, tokens: OAuthTokenSet): Promise<void> {
    this.#tokens.set(key, structuredClone(tokens));
  }

  async load(key: string): Promise<OAuthTokenSet | undefined> {
    const tokens = this.#tokens.get(key);
    return tokens === undefined ? undefined : structuredClone(tokens);
  }

  async delete(key: string): Promise<boolean> {
    return this.#tokens.delete(key);
  }

  async exists(key: string): Promise<boolean> {
    return this.#tokens.has(key);
  }

  async listKeys(): Promise<string[]> {
    return [...this.#tokens.keys()];
  }
}
