/**
 * `authflow status`: whether a profile is signed in, as whom, until when, and where its
 * tokens live. Reads local state only (no network).
 *
 * @module
 */
import { canRefresh, isTokenExpired, type OAuthTokenSet } from '../../../tokens/token-set.js';
import { displayAccount } from '../../shared/accounts.js';
import { parseCommandArgs } from '../../shared/args.js';
import type { CliContext } from '../../shared/context.js';
import { ExitCode } from '../../shared/exit.js';
import { paint } from '../../shared/output.js';
import { openProfileStore, storeLocation } from '../../shared/profile-store.js';
import { readProfile } from '../../shared/profiles-file.js';

/** The text of `authflow status --help`, with examples. */
export const help = `authflow status — is a profile signed in?

Usage: authflow status [--profile <name>] [--json]

Reads local state only. Exits 0 when signed in (a token that is valid or can be
refreshed), 1 when not.

--json prints (stable; times in epoch seconds, null when unknown):
  {"profile","authenticated","userId","expiresAt","scopes","store","storeLocation",
   "provider","issuer","accessTokenExpired"}

Examples:
  authflow status
  authflow status --profile work --json | jq .expiresAt`;

/**
 * Prints whether the profile is signed in, from local state only (as of `context.now()`).
 * Resolves 0 when signed in, 1 when not.
 */
export async function run(args: string[], context: CliContext): Promise<number> {
  const { profile: name, values } = parseCommandArgs('status', args, {});
  const profile = await readProfile(context.configDir, name);
  const account = profile?.accounts?.find((a) => a.userId === profile.activeAccount);
  let tokens: OAuthTokenSet | undefined;
  let storeError: string | undefined;
  if (profile?.store !== undefined && account !== undefined) {
    const store = await openProfileStore(context, profile.store, name);
    try {
      tokens = await store.store.load(account.userId);
    } catch (error) {
      storeError = (error as Error).message;
    } finally {
      store.close();
    }
  }
  const expired =
    tokens !== undefined && isTokenExpired(tokens, 0, Math.floor(context.now() / 1000));
  const authenticated = tokens !== undefined && (!expired || canRefresh(tokens));
  const status = {
    profile: name,
    authenticated,
    userId: tokens ? (account?.userId ?? null) : null,
    expiresAt: tokens?.expiresAt ?? null,
    scopes: tokens?.scope?.split(' ').filter(Boolean) ?? [],
    store: profile?.store ?? null,
    storeLocation: profile?.store ? storeLocation(profile.store, context.configDir, name) : null,
    provider: profile?.provider?.provider ?? null,
    issuer: profile?.provider?.issuerUrl ?? null,
    accessTokenExpired: tokens ? expired : null,
  };
  if (values.json) {
    context.out.json(status);
  } else {
    const { out } = context;
    const label = (text: string) => paint(out.color, 'dim', text.padEnd(11));
    out.out(`${label('Profile')}${name}`);
    if (authenticated && account) {
      out.out(
        `${label('Signed in')}${paint(out.color, 'green', 'yes')}, as ${displayAccount(account)}`,
      );
    } else {
      const flag = name === 'default' ? '' : ` --profile ${name}`;
      out.out(
        `${label('Signed in')}${paint(out.color, 'yellow', 'no')} — run: authflow login${flag}`,
      );
    }
    if (profile?.provider) {
      const where = profile.provider.issuerUrl ? ` ${profile.provider.issuerUrl}` : '';
      const client = profile.provider.clientId
        ? `client ${profile.provider.clientId}`
        : `no client id: run authflow login${name === 'default' ? '' : ` --profile ${name}`} --client-id <id>`;
      out.out(`${label('Provider')}${profile.provider.provider ?? '?'}${where} (${client})`);
    }
    if (tokens?.expiresAt !== undefined) {
      const when = new Date(tokens.expiresAt * 1000).toISOString();
      const left = tokens.expiresAt - Math.floor(context.now() / 1000);
      const state = expired
        ? canRefresh(tokens)
          ? 'expired; refreshed on next use'
          : 'expired'
        : `expires in ${humanDuration(left)}`;
      out.out(`${label('Token')}${state} (${when})`);
    }
    if (status.scopes.length > 0) out.out(`${label('Scopes')}${status.scopes.join(' ')}`);
    if (status.store) out.out(`${label('Store')}${status.store}: ${status.storeLocation}`);
    if (storeError) out.err(`authflow: ${storeError}`);
  }
  return authenticated ? ExitCode.OK : ExitCode.FAILURE;
}

function humanDuration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}
