/**
 * `authflow whoami`: the signed-in user's info, fresh from the provider.
 *
 * @module
 */
import { parseCommandArgs } from '../../shared/args.js';
import type { CliContext } from '../../shared/context.js';
import { CliError, ExitCode } from '../../shared/exit.js';
import { openProfile } from '../../shared/open-profile.js';
import { createProfileProvider } from '../../shared/provider-settings.js';
import { isUnreachable, unreachableError } from '../../shared/reach.js';
import { terminalSafe } from '../../shared/terminal-text.js';
import { validTokensOf } from '../../shared/valid-tokens.js';

/** The text of `authflow whoami --help`, with examples. */
export const help = `authflow whoami — show the signed-in user

Usage: authflow whoami [--profile <name>] [--json]

Asks the provider's userinfo endpoint (refreshing the token first when needed).
--json prints the user info claims as the provider returned them.

Examples:
  authflow whoami
  authflow whoami --json | jq -r .email`;

/**
 * Prints the user info the provider returns for the profile's access token (refreshed first when
 * due). Rejects with a `CliError` when the provider cannot be reached or refuses.
 */
export async function run(args: string[], context: CliContext): Promise<number> {
  const { profile: name, values } = parseCommandArgs('whoami', args, {});
  const opened = await openProfile(context, name);
  try {
    const tokens = await validTokensOf(context, opened);
    const provider = await createProfileProvider(context, opened);
    let userInfo: Record<string, unknown>;
    try {
      userInfo = await provider.getUserInfo(tokens, { signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      if (isUnreachable(error) && opened.profile.provider) {
        throw await unreachableError(context.configDir, opened.profile.provider, error, {
          dev: opened.profile.dev === true,
        });
      }
      throw new CliError(
        `The provider did not return the user info: ${(error as Error).message}`,
        ExitCode.FAILURE,
      );
    }
    if (values.json) {
      context.out.json(userInfo);
      return ExitCode.OK;
    }
    // Claims are the provider's text: each one stays on its own line.
    const line = (text: string) => terminalSafe(text, { newlines: false });
    const width = Math.max(...Object.keys(userInfo).map((k) => line(k).length), 4) + 2;
    for (const [key, value] of Object.entries(userInfo)) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      context.out.out(`${line(key).padEnd(width)}${line(text ?? String(value))}`);
    }
    return ExitCode.OK;
  } finally {
    opened.store.close();
  }
}
