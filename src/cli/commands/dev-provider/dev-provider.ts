/**
 * `authflow dev-provider`: the embedded development OpenID provider on loopback, until
 * Ctrl-C. While it runs, `authflow login --dev` signs in against it (so tokens stay
 * refreshable after login ends).
 *
 * @module
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { numberValue, parseCommandArgs } from '../../shared/args.js';
import { commandName } from '../../shared/command-name.js';
import type { CliContext } from '../../shared/context.js';
import { ExitCode } from '../../shared/exit.js';
import {
  alreadyRunning,
  type DevProviderState,
  devStateDir,
  runningDevProvider,
  startKeptDevProvider,
} from '../../shared/kept-dev-provider.js';
import { paint } from '../../shared/output.js';
import paths from '../../shared/paths.cjs';
import { untilStopped } from '../../shared/wait.js';

const { devProviderStatePath } = paths;

/** The text of `authflow dev-provider --help`, with examples. */
export const help = `authflow dev-provider — run the embedded development OpenID provider

Usage: authflow dev-provider [--port <port>] [--json]

Runs an OpenID provider on 127.0.0.1 (any user name signs in; consent page; refresh
tokens; revocation; device flow) until Ctrl-C, and prints its issuer and a ready public
client id. For development and tests only: never use it in production.

It is the same provider every time: its signing keys, grants and tokens are kept in
<config dir>/dev-provider/, and its port is chosen once and remembered there, so tokens
from an earlier run stay valid. "authflow login --dev" and "authflow serve --dev" use it
while it runs (else they start it for as long as they run). One per config dir: a second
one refuses to start.

Options:
      --port <port>   Port on 127.0.0.1 (default: the remembered one, else a random free
                      port); the new port is remembered
      --json          Print {"issuer","clientId","deviceVerificationUrl","port"} as one JSON document

Examples:
  authflow dev-provider
  authflow dev-provider --port 9000
  authflow login --provider oidc --issuer http://127.0.0.1:9000 --client-id authflow-native`;

const OPTIONS = { port: { type: 'string' } } as const;

/**
 * Runs the config dir's development provider until the user stops it (`context.onStop`), then
 * resolves 0; rejects when one already runs for this config dir.
 */
export async function run(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs('dev-provider', args, OPTIONS);
  const port = numberValue(values, 'port', 'dev-provider', { min: 1, max: 65_535 });
  const running = await runningDevProvider(context.configDir);
  if (running) throw alreadyRunning(running);
  const stopped = untilStopped(context);
  const dev = await startKeptDevProvider(context.configDir, port);
  const statePath = devProviderStatePath(context.configDir);
  const state: DevProviderState = { issuer: dev.issuer, clientId: dev.clientId, pid: process.pid };
  try {
    await mkdir(context.configDir, { recursive: true, mode: 0o700 });
    await writeFile(statePath, JSON.stringify(state), { mode: 0o600 });
    const { out } = context;
    if (values.json) {
      out.json({
        issuer: dev.issuer,
        clientId: dev.clientId,
        deviceVerificationUrl: dev.deviceVerificationUrl,
        port: dev.port,
      });
    } else {
      const b = (text: string) => paint(out.color, 'bold', text);
      const name = commandName();
      out.out(`Development OpenID provider running (Ctrl-C to stop). Development only.`);
      out.out(`  issuer     ${b(dev.issuer)}`);
      out.out(
        `  client id  ${b(dev.clientId)}  (public: PKCE, any loopback redirect URI, device flow)`,
      );
      out.out(`  device     ${dev.deviceVerificationUrl}`);
      out.out(`  state      ${devStateDir(context.configDir)} (keys, grants, port)`);
      out.out('');
      out.out(`Sign in against it:  ${name} login --dev`);
      out.out(
        `  or:  ${name} login --provider oidc --issuer ${dev.issuer} --client-id ${dev.clientId}`,
      );
    }
    await stopped;
    return ExitCode.OK;
  } finally {
    await dev.close();
    // Remove the state file only if it is still ours.
    const current = await readFile(statePath, 'utf8').catch(() => '');
    if (current.includes(`"pid":${process.pid}`)) await rm(statePath, { force: true });
  }
}
