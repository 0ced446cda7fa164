/**
 * `authflow logout`: revokes the tokens at the provider where it can, deletes them
 * locally, and says which was done.
 *
 * @module
 */
import { rm } from 'node:fs/promises';
import type { OAuthProvider } from '../../../providers/types.js';
import { displayAccount } from '../../shared/accounts.js';
import { parseCommandArgs } from '../../shared/args.js';
import { commandName } from '../../shared/command-name.js';
import type { CliContext } from '../../shared/context.js';
import { ExitCode } from '../../shared/exit.js';
import { noSuchProfile } from '../../shared/open-profile.js';
import paths from '../../shared/paths.cjs';
import { openProfileStore } from '../../shared/profile-store.js';
import { type AccountRecord, readProfiles } from '../../shared/profiles-file.js';
import { buildProvider, checkedSettings } from '../../shared/provider-settings.js';
import { isUnreachable } from '../../shared/reach.js';
import { updateProfile } from '../../shared/update-profiles.js';

const { tokensPath } = paths;

/** The text of `authflow logout --help`, with examples. */
export const help = `authflow logout — sign out

Usage: authflow logout [--profile <name>] [--all] [--json]

Revokes the refresh and access tokens at the provider where it supports revocation
(Microsoft does not; GitHub revokes the app's grant), then deletes the local tokens.
The profile keeps its provider settings, so "authflow login --profile <name>" signs in again.

Options:
  -p, --profile <name>   Profile (default "default")
      --all              Every account of every profile
      --json             Print {"signedOut":[{"profile","userId","revoked","deleted"}]}

Examples:
  authflow logout
  authflow logout --profile work
  authflow logout --all`;

const OPTIONS = { all: { type: 'boolean' } } as const;

interface SignedOut {
  profile: string;
  userId: string;
  revoked: Array<'access_token' | 'refresh_token'>;
  deleted: boolean;
  note?: string;
}

/**
 * Revokes the profile's tokens at the provider where it can, deletes them locally, and prints
 * what was done. Resolves 0, also when there was nothing to do.
 */
export async function run(args: string[], context: CliContext): Promise<number> {
  const { profile: name, values } = parseCommandArgs('logout', args, OPTIONS);
  const { out } = context;
  const file = await readProfiles(context.configDir);
  if (!values.all && !Object.hasOwn(file.profiles, name)) {
    throw noSuchProfile(name, Object.keys(file.profiles).sort());
  }
  const names = values.all ? Object.keys(file.profiles).sort() : [name];
  const results: SignedOut[] = [];
  for (const profileName of names) {
    const profile = file.profiles[profileName];
    const accounts = values.all
      ? (profile?.accounts ?? [])
      : (profile?.accounts ?? []).filter((a) => a.userId === profile?.activeAccount);
    if (profile?.store === undefined || accounts.length === 0) continue;
    const store = await openProfileStore(context, profile.store, profileName);
    try {
      // A corrupt token file holds nothing to revoke: clear it, so the user can sign in again.
      const corrupt =
        profile.store === 'file' &&
        (await store.store.listKeys().then(
          () => false,
          (error: Error) => /corrupt/.test(error.message),
        ));
      if (corrupt) await rm(tokensPath(context.configDir, profileName), { force: true });
      let provider: OAuthProvider | undefined;
      let unreachable: string | undefined;
      if (profile.provider && !corrupt) {
        try {
          const secret =
            context.env.AUTHFLOW_CLIENT_SECRET ||
            (profile.hasClientSecret ? await store.loadClientSecret() : undefined);
          provider = await buildProvider(checkedSettings(profileName, profile.provider), secret);
        } catch (error) {
          unreachable = (error as Error).message;
        }
      }
      for (const account of accounts) {
        const result: SignedOut = {
          profile: profileName,
          userId: account.userId,
          revoked: [],
          deleted: false,
        };
        const tokens = corrupt
          ? undefined
          : await store.store.load(account.userId).catch(() => undefined);
        if (tokens && provider) {
          // The refresh token first: with most providers revoking it also ends its access tokens.
          const attempts = [
            [tokens.refreshToken, 'refresh_token'],
            [tokens.accessToken, 'access_token'],
          ] as const;
          const failures: string[] = [];
          let unsupported = false;
          for (const [token, hint] of attempts) {
            if (token === undefined) continue;
            try {
              if (await provider.revokeToken(token, hint)) result.revoked.push(hint);
              else unsupported = true;
            } catch (error) {
              failures.push(
                isUnreachable(error) && profile.dev
                  ? `the development provider is not running (start it with: ${commandName()} dev-provider before signing out, to revoke)`
                  : (error as Error).message.replace(/\.$/, ''),
              );
            }
          }
          if (failures.length > 0) result.note = `revocation failed: ${failures[0]}`;
          else if (unsupported && result.revoked.length === 0)
            result.note = 'the provider has no token revocation';
        } else if (tokens && !provider) {
          result.note = `provider unavailable: ${(unreachable ?? 'no provider settings').replace(/\.$/, '')}`;
        }
        if (corrupt) result.note = 'the token file was corrupt: nothing could be revoked';
        result.deleted = corrupt || (await store.store.delete(account.userId));
        results.push(result);
        if (!values.json) out.out(describe(profileName, account, result));
      }
    } finally {
      store.close();
    }
    const removed = new Set(accounts.map((a) => a.userId));
    await updateProfile(context.configDir, profileName, (p) => {
      p.accounts = (p.accounts ?? []).filter((a) => !removed.has(a.userId));
      if (p.activeAccount !== undefined && removed.has(p.activeAccount)) {
        const next = p.accounts.at(-1);
        if (next) p.activeAccount = next.userId;
        else delete p.activeAccount;
      }
    });
  }
  if (values.json) {
    out.json({ signedOut: results });
  } else if (results.length === 0) {
    out.out(
      values.all
        ? 'No profile is signed in; nothing to do.'
        : `Profile "${name}" is not signed in; nothing to do.`,
    );
  }
  return ExitCode.OK;
}

function describe(profile: string, account: AccountRecord, result: SignedOut): string {
  const who = `Signed out ${displayAccount(account)} (profile ${profile})`;
  const names = { refresh_token: 'refresh token', access_token: 'access token' } as const;
  const revoked =
    result.revoked.length > 0
      ? `revoked the ${result.revoked.map((t) => names[t]).join(' and the ')} at the provider`
      : `nothing revoked at the provider (${result.note ?? 'no tokens'}), so the tokens stay valid until they expire`;
  const deleted = result.deleted
    ? 'deleted the local tokens'
    : 'no local tokens were left to delete';
  return `${who}: ${revoked}; ${deleted}.`;
}
