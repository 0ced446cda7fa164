/**
 * The fast path of `authflow token`: reads the file store's JSON straight from disk,
 * synchronously, without loading the store module (and with it `node:crypto` and the error
 * classes). Anything unexpected returns `undefined`, and the caller takes the normal path
 * through `FileTokenStore`, which reports problems properly.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { type OAuthTokenSet, parseTokenSet } from '../../../tokens/token-set.js';

/** The token set stored under `key` in the file store at `path`, or `undefined` when it cannot be read cheaply. */
export function peekFileStore(path: string, key: string): OAuthTokenSet | undefined {
  try {
    const contents = JSON.parse(readFileSync(path, 'utf8')) as { tokens?: Record<string, unknown> };
    const tokens = contents.tokens;
    if (typeof tokens !== 'object' || tokens === null || !Object.hasOwn(tokens, key))
      return undefined;
    return parseTokenSet(tokens[key]);
  } catch {
    return undefined;
  }
}
