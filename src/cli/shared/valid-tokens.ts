/**
 * Valid tokens for a profile through its store, refreshing them when needed: the path of
 * `authflow token` (and `whoami`) when the fast file read does not apply.
 *
 * @module
 */
import { isRefreshDue } from '../../tokens/refresh-due.js';
import type { OAuthTokenSet } from '../../tokens/token-set.js';
import type { CliContext } from './context.js';
import {
  loadActiveTokens,
  type OpenedProfile,
  openProfile,
  refreshBufferSeconds,
} from './open-profile.js';

/** Valid tokens of an opened profile's active account, refreshed (once across processes) when needed. */
export async function validTokensOf(
  context: CliContext,
  opened: OpenedProfile,
): Promise<OAuthTokenSet> {
  const tokens = await loadActiveTokens(opened);
  if (!isRefreshDue(tokens, await refreshBufferSeconds(context.env))) return tokens;
  const { refreshWithLock } = await import('./refresh.js');
  return refreshWithLock(context, opened, tokens);
}

/** Valid tokens of a profile's active account. */
export async function validTokens(context: CliContext, name: string): Promise<OAuthTokenSet> {
  const opened = await openProfile(context, name);
  try {
    return await validTokensOf(context, opened);
  } finally {
    opened.store.close();
  }
}
