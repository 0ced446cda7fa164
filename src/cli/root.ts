/**
 * The `authflow` command line, from the arguments to an exit code, in a given context: what
 * `main.ts` runs for the process, and what tests run in-process (`test/cli/in-process.ts`). This
 * module loads almost nothing: each command is imported only when it runs, so that the ESM path
 * of `authflow token` stays lean too (no protocol library, no keychain, no web framework).
 *
 * @module
 */
import { statSync } from 'node:fs';
import { ErrorCodes } from '../errors.js';
import type { CliContext, CommandModule } from './shared/context.js';
import { ExitCode, exitCodeFor, UsageError } from './shared/exit.js';
import { paint } from './shared/output.js';
import { maskSecretFlag } from './shared/secret-flag.js';
import { terminalSafe } from './shared/terminal-text.js';

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  login: () => import('./commands/login/login.js'),
  token: () => import('./commands/token/token.js'),
  status: () => import('./commands/status/status.js'),
  whoami: () => import('./commands/whoami/whoami.js'),
  logout: () => import('./commands/logout/logout.js'),
  profiles: () => import('./commands/profiles/profiles.js'),
  serve: () => import('./commands/serve/serve.js'),
  'dev-provider': () => import('./commands/dev-provider/dev-provider.js'),
};

const HELP = `authflow — sign in with OAuth 2.0 / OpenID Connect from a terminal

Usage: authflow <command> [options]

Commands:
  login          Sign in (system browser, --device, --window, --dev)
  token          Print a valid access token (refreshed when needed)
  status         Show whether a profile is signed in
  whoami         Show the signed-in user's info
  logout         Sign out: revoke at the provider, delete local tokens
  profiles       List profiles
  serve          Run the deploy-mode /auth routes on loopback, to try them
  dev-provider   Run the embedded development OpenID provider

Options for every command:
  -p, --profile <name>   Profile to use (default "default")
      --json             Machine-readable output (stable)
  -h, --help             Help for the command
  -V, --version          Print the version

Examples:
  authflow login --dev                       # try it: embedded provider, no credentials
  authflow login --provider google --client-id ID --client-secret-stdin
  curl -H "Authorization: Bearer $(authflow token)" https://api.example.com/me
  authflow status --json

Exit codes: 0 ok, 1 failure, 2 usage error, 3 timed out, 4 cancelled.
Config: $AUTHFLOW_CONFIG_DIR, else ~/.config/authflow (see docs/cli.md).`;

/** A config dir that is a file (or under one) is a setting to fix, said once for every command. */
function checkConfigDir(dir: string, env: NodeJS.ProcessEnv): void {
  let problem: string | undefined;
  try {
    if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() === false) problem = 'is a file';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
    problem = 'is under a file';
  }
  if (problem === undefined) return;
  const from = env.AUTHFLOW_CONFIG_DIR ? 'AUTHFLOW_CONFIG_DIR' : 'the config directory';
  throw new UsageError(
    `The config directory ${dir} ${problem}, not a directory. ${env.AUTHFLOW_CONFIG_DIR ? 'Point AUTHFLOW_CONFIG_DIR at a directory (created when missing), or unset it.' : `Move that file away (${from} is created when missing).`}`,
  );
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

/**
 * Runs the command line `argv` (without `node` and the script) in `context` and resolves its
 * exit code: the top-level help and version, dispatch to the command (each loaded only when it
 * runs), and every error a command throws turned into one line on stderr and its exit code.
 *
 * @example
 * ```ts
 * // What main.ts does; a test passes a context of its own (test/cli/in-process.ts).
 * const code = await runCli(['status', '--json'], processContext());
 * ```
 */
export async function runCli(argv: string[], context: CliContext): Promise<number> {
  const { out } = context;
  const secretOnCommandLine = maskSecretFlag(argv) !== undefined;
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help') {
    (first === undefined ? out.err : out.out)(HELP);
    return first === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  if (first === '-V' || first === '--version') {
    out.out(await version());
    return ExitCode.OK;
  }
  let name = first;
  let args = rest;
  if (first === 'help') {
    if (rest[0] === undefined) {
      out.out(HELP);
      return ExitCode.OK;
    }
    name = rest[0];
    args = ['--help'];
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  try {
    if (load === undefined) {
      throw new UsageError(
        `Unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}.`,
      );
    }
    const command = await load();
    if (args.includes('--help') || args.includes('-h')) {
      out.out(command.help);
      return ExitCode.OK;
    }
    checkConfigDir(context.configDir, context.env);
    if (secretOnCommandLine) {
      out.err(
        'authflow: warning: --client-secret shows the secret to other users of this machine (process list) and keeps it in your shell history; it was removed from the process title. Use AUTHFLOW_CLIENT_SECRET or --client-secret-stdin instead.',
      );
    }
    return await command.run(args, context);
  } catch (error) {
    const code = exitCodeFor(error);
    // One line: an error text may carry a provider's words (the output layer strips escapes).
    const message = terminalSafe(error instanceof Error ? error.message : String(error), {
      newlines: false,
    });
    out.err(`${paint(out.errColor, 'red', 'authflow:')} ${message}`);
    if (
      (error as { code?: unknown }).code === ErrorCodes.STORE_ERROR &&
      /keychain/i.test(message)
    ) {
      out.err('To keep tokens in a 0600 file instead, sign in with: authflow login --store file');
    }
    if (error instanceof UsageError) {
      out.err(`Run "authflow ${error.command ?? ''}${error.command ? ' ' : ''}--help" for usage.`);
    }
    if (context.env.AUTHFLOW_DEBUG && error instanceof Error && error.stack) out.err(error.stack);
    return code;
  }
}
