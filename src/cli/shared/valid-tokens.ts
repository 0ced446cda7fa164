/**
 * Valid tokens of a profile through its store, refreshed when they are no longer fresh: what
 * `authflow token` falls back to when the cheap read (`stored-token.cts`) does not apply
 * (keychain, a token due for refresh, a set buffer...), and what `authflow whoami` uses.
 *
 * @module
 */
import type { OAuthTokenSet } from '../../tokens/token-set.js';
import type { CliContext } from './context.js';
import { loadActiveTokens, type OpenedProfile, openProfile } from './open-profile.js';
import freshness from './token-freshness.cjs';

/**
 * Seconds before expiry at which a token is refreshed: `$AUTHFLOW_REFRESH_BUFFER_SECONDS`, else
 * the default of `token-freshness.cts`. An invalid value is a usage error (exit 2).
 */
export async function refreshBufferSeconds(env: NodeJS.ProcessEnv): Promise<number> {
  const buffer = freshness.defaultBufferUnlessSet(env);
  if (buffer !== undefined) return buffer;
  // Loaded only when set, to keep `authflow token` lean; it validates the value.
  const { readAuthflowEnv } = await import('../../providers/settings.js');
  return readAuthflowEnv(env).refreshBufferSeconds;
}

/** Valid tokens of an opened profile's active account, refreshed (once across processes) when needed. */
export async function validTokensOf(
  context: CliContext,
  opened: OpenedProfile,
): Promise<OAuthTokenSet> {
  const tokens = await loadActiveTokens(opened);
  const buffer = await refreshBufferSeconds(context.env);
  if (freshness.isFresh(tokens, buffer, context.now())) return tokens;
  const { refreshWithLock } = await import('./refresh.js');
  return refreshWithLock(context, opened, buffer, tokens);
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
