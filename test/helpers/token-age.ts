// Token sets made due for refresh without waiting: in the second half of their lifetime (so
// that any refresh buffer, and deploy mode's /auth/refresh, refreshes them), still valid.
import type { TokenStore } from '../../src/stores/types.js';
import type { OAuthTokenSet } from '../../src/tokens/token-set.js';

/** `tokens` issued one lifetime earlier, same expiry: half its (doubled) lifetime is gone. */
export function halfLived(tokens: OAuthTokenSet): OAuthTokenSet {
  if (tokens.expiresAt === undefined) throw new Error('halfLived(): the token set has no expiry');
  return { ...tokens, issuedAt: tokens.issuedAt - (tokens.expiresAt - tokens.issuedAt) - 1 };
}

/** Rewrites the set under `key` in `store` with {@link halfLived}; resolves the new set. */
export async function makeDue(store: TokenStore, key: string): Promise<OAuthTokenSet> {
  const tokens = await store.load(key);
  if (tokens === undefined) throw new Error(`makeDue(): no token set under ${key}`);
  const due = halfLived(tokens);
  await store.save(key, due);
  return due;
}
