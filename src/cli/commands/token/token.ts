/**
 * `authflow token`: prints only a valid access token on stdout. A fresh token in the file store
 * is read with the executable's own cheap read (`shared/stored-token.cts`), which loads nothing
 * else; otherwise the profile's store gives the token set and it is refreshed when due
 * (`shared/valid-tokens.ts`). Both decide freshness the same way (`shared/token-freshness.cts`).
 *
 * @module
 */
import { parseTokenSet } from '../../../tokens/token-set.js';
import { parseCommandArgs } from '../../shared/args.js';
import type { CliContext } from '../../shared/context.js';
import { ExitCode } from '../../shared/exit.js';
import storedToken from '../../shared/stored-token.cjs';
import freshness from '../../shared/token-freshness.cjs';

/** The text of `authflow token --help`, with examples. */
export const help = `authflow token — print a valid access token (and nothing else) on stdout

Usage: authflow token [--profile <name>] [--json]

Refreshes the token first when it expires within $AUTHFLOW_REFRESH_BUFFER_SECONDS (${freshness.DEFAULT_REFRESH_BUFFER_SECONDS}),
or within half its lifetime when that is shorter. Processes refreshing at once make one
request to the provider. When no token can be
had, prints one line on stderr saying what to do, and exits 1.

Options:
  -p, --profile <name>   Profile (default "default")
      --json             Print {"accessToken","tokenType","expiresAt"} instead

Examples:
  curl -H "Authorization: Bearer $(authflow token)" https://api.example.com/me
  TOKEN=$(authflow token --profile work) || exit 1`;

/**
 * Prints a valid access token (or `--json`), refreshing it first when it is no longer fresh.
 * Resolves 0; rejects with a "Run: authflow login" `CliError` (exit 1) when no token can be had.
 */
export async function run(args: string[], context: CliContext): Promise<number> {
  const { profile: name, values } = parseCommandArgs('token', args, {});
  const tokens =
    parseTokenSet(
      storedToken.freshStoredToken(context.env, context.configDir, name, context.now()),
    ) ?? (await (await import('../../shared/valid-tokens.js')).validTokens(context, name));
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
