/**
 * `authflow token`: prints only a valid access token on stdout. The common case (a valid
 * token in the file store) reads two small files and loads nothing else: the store, the
 * keychain and the provider library are imported only when needed.
 *
 * @module
 */
import { isRefreshDue } from '../../../tokens/refresh-due.js';
import type { OAuthTokenSet } from '../../../tokens/token-set.js';
import { parseCommandArgs } from '../../shared/args.js';
import type { CliContext } from '../../shared/context.js';
import { ExitCode } from '../../shared/exit.js';
import paths from '../../shared/paths.cjs';
import { readProfile } from '../../shared/profiles-file.js';
import { peekFileStore } from './fast-token.js';

const { tokensPath } = paths;

export const help = `authflow token — print a valid access token (and nothing else) on stdout

Usage: authflow token [--profile <name>] [--json]

Refreshes the token first when it expires within $AUTHFLOW_REFRESH_BUFFER_SECONDS (60),
or within half its lifetime when that is shorter. Processes refreshing at once make one
request to the provider. When no token can be
had, prints one line on stderr saying what to do, and exits 1.

Options:
  -p, --profile <name>   Profile (default "default")
      --json             Print {"accessToken","tokenType","expiresAt"} instead

Examples:
  curl -H "Authorization: Bearer $(authflow token)" https://api.example.com/me
  TOKEN=$(authflow token --profile work) || exit 1`;

export async function run(args: string[], context: CliContext): Promise<number> {
  const { profile: name, values } = parseCommandArgs('token', args, {});
  let tokens: OAuthTokenSet | undefined;
  if (!context.env.AUTHFLOW_REFRESH_BUFFER_SECONDS) {
    const profile = await readProfile(context.configDir, name);
    if (profile?.store === 'file' && profile.activeAccount !== undefined) {
      const peeked = peekFileStore(tokensPath(context.configDir, name), profile.activeAccount);
      if (peeked !== undefined && !isRefreshDue(peeked, 60)) tokens = peeked;
    }
  }
  tokens ??= await (await import('../../shared/valid-tokens.js')).validTokens(context, name);
  if (values.json) {
    context.out.json({
      accessToken: tokens.accessToken,
      tokenType: tokens.tokenType,
      expiresAt: tokens.expiresAt ?? null,
    });
  } else {
    context.out.out(tokens.accessToken);
  }
  return ExitCode.OK;
}
