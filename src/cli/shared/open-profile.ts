/**
 * Opening a signed-in profile: the profile, its active account, its store and tokens, or the
 * one "Run: authflow login" message when there are none. Used by `token` and `whoami` (through
 * `valid-tokens.ts`) and `logout`. (Not a "session": the CLI keeps none of its own; the word
 * belongs to `SessionManager` and deploy mode.)
 *
 * @module
 */
import type { OAuthTokenSet } from '../../tokens/token-set.js';
import type { CliContext } from './context.js';
import { CliError, ExitCode } from './exit.js';
import { openProfileStore, type ProfileStore } from './profile-store.js';
import { type AccountRecord, type ProfileRecord, readProfiles } from './profiles-file.js';

/** A profile with its store opened. */
export interface OpenedProfile {
  /** Profile name. */
  name: string;
  /** What the profile remembers. */
  profile: ProfileRecord;
  /** The active account, when one is signed in. */
  account: AccountRecord | undefined;
  /** Its store. */
  store: ProfileStore;
}

/** The "what to do" message when a profile is not signed in. */
export function notSignedIn(name: string, detail = 'Not signed in'): CliError {
  const flag = name === 'default' ? '' : ` --profile ${name}`;
  return new CliError(
    `${detail} (profile "${name}"). Run: authflow login${flag}`,
    ExitCode.FAILURE,
  );
}

/** The message for a profile that does not exist, the same from every command. */
export function noSuchProfile(name: string, existing: readonly string[]): CliError {
  const flag = name === 'default' ? '' : ` --profile ${name}`;
  const known = existing.length > 0 ? `profiles: ${existing.join(', ')}` : 'no profiles yet';
  return new CliError(
    `No such profile "${name}" (${known}). Run: authflow login${flag}`,
    ExitCode.FAILURE,
  );
}

/** Reads a profile and opens its store. Rejects with a "run authflow login" message when there is no such profile. */
export async function openProfile(context: CliContext, name: string): Promise<OpenedProfile> {
  const file = await readProfiles(context.configDir);
  const profile = Object.hasOwn(file.profiles, name) ? file.profiles[name] : undefined;
  if (profile === undefined) throw noSuchProfile(name, Object.keys(file.profiles).sort());
  if (profile.store === undefined) throw notSignedIn(name);
  const account = profile.accounts?.find((a) => a.userId === profile.activeAccount);
  const store = await openProfileStore(context, profile.store, name);
  return { name, profile, account, store };
}

/** The active account's stored tokens; rejects with a "run authflow login" message when there are none. */
export async function loadActiveTokens(opened: OpenedProfile): Promise<OAuthTokenSet> {
  if (opened.account === undefined) throw notSignedIn(opened.name);
  const tokens = await opened.store.store.load(opened.account.userId);
  if (tokens === undefined) throw notSignedIn(opened.name);
  return tokens;
}
