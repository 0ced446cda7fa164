/**
 * Refreshing a profile's tokens across processes: a lock in the config dir makes
 * concurrent `authflow token` processes take turns; whoever comes second re-reads the
 * store, finds the set the first one stored and uses it while it is still valid, so the
 * provider sees ONE refresh. The stores write atomically, so a process killed mid-refresh
 * leaves the previous token set intact (but a rotated refresh token the provider had already
 * sent is lost with it: see docs/cli.md).
 *
 * @module
 */
import { ErrorCodes, TokenRefreshError } from '../../errors.js';
import { acquireFileLock } from '../../stores/lock.js';
import { isStillValid } from '../../tokens/refresh-due.js';
import { canRefresh, isTokenExpired, type OAuthTokenSet } from '../../tokens/token-set.js';
import type { CliContext } from './context.js';
import { CliError, ExitCode } from './exit.js';
import { notSignedIn, type OpenedProfile } from './open-profile.js';
import paths from './paths.cjs';
import { createProfileProvider } from './provider-settings.js';
import { devProviderDown } from './reach.js';
import freshness from './token-freshness.cjs';

const { refreshLockPath } = paths;

/**
 * Returns valid tokens for the profile's active account, refreshing them (once across
 * processes) when needed under a refresh buffer of `buffer` seconds. `seen` is the set the
 * caller found due: when the store holds another one once the lock is ours, someone refreshed
 * meanwhile and that set is used.
 */
export async function refreshWithLock(
  context: CliContext,
  opened: OpenedProfile,
  buffer: number,
  seen?: OAuthTokenSet,
): Promise<OAuthTokenSet> {
  const account = opened.account;
  if (account === undefined) throw notSignedIn(opened.name);
  const lock = await acquireFileLock(refreshLockPath(context.configDir, opened.name), {
    timeoutMs: 60_000,
  });
  try {
    // Another process may have refreshed while we waited for the lock.
    const current = await opened.store.store.load(account.userId);
    if (current === undefined) throw notSignedIn(opened.name);
    // Another process refreshed while we waited: use its set while it is valid, even inside
    // the buffer (refreshing it again is what made short-lived tokens storm the provider).
    if (
      seen !== undefined &&
      current.accessToken !== seen.accessToken &&
      isStillValid(current, context.now())
    )
      return current;
    if (freshness.isFresh(current, buffer, context.now())) return current;
    if (!canRefresh(current)) {
      if (!isTokenExpired(current)) return current; // within the buffer, still usable
      throw notSignedIn(opened.name, 'The access token has expired and there is no refresh token');
    }
    const provider = await createProfileProvider(context, opened);
    const { SessionManager } = await import('../../session/session-manager.js');
    const session = new SessionManager({
      provider,
      tokenStore: opened.store.store,
      sessionKey: account.userId,
      refreshBufferSeconds: buffer,
      backgroundRefresh: false,
    });
    try {
      await session.initialize();
      return await session.refresh();
    } catch (error) {
      if (error instanceof TokenRefreshError && error.code === ErrorCodes.REAUTH_REQUIRED) {
        throw notSignedIn(opened.name, 'The provider no longer accepts this sign-in');
      }
      const cause = (error as { cause?: unknown }).cause;
      const detail = cause instanceof Error ? `: ${cause.message.replace(/\.$/, '')}` : '';
      const flag = opened.name === 'default' ? '' : ` --profile ${opened.name}`;
      const advice = opened.profile.dev
        ? devProviderDown(opened.profile.provider?.issuerUrl)
        : `Check your connection and try again, or run: authflow login${flag}`;
      throw new CliError(
        `Could not refresh the token of profile "${opened.name}"${detail}. ${advice}`,
        ExitCode.FAILURE,
      );
    } finally {
      session.dispose();
    }
  } finally {
    await lock.release();
  }
}
