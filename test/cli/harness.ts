// Runs the `authflow` CLI as a subprocess, as a user would. Uses the compiled dist/cli/main.js
// when it is there and newer than every source file, else the TypeScript sources through tsx.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tryConnect } from '../helpers/http.js';
import { CommandOutput } from './command-output.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function distIsFresh(): boolean {
  if (!existsSync(join(ROOT, 'dist/cli/bin.cjs'))) return false;
  const stack = [join(ROOT, 'src')];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        stack.push(path);
      } else if (/\.[cm]?ts$/.test(entry.name) && !/\.d\.[cm]?ts$/.test(entry.name)) {
        const built = join(
          ROOT,
          'dist',
          relative(join(ROOT, 'src'), path).replace(/\.([cm]?)ts$/, '.$1js'),
        );
        if (!existsSync(built) || statSync(built).mtimeMs < statSync(path).mtimeMs) return false;
      }
    }
  }
  return true;
}

let invocation: string[] | undefined;

/**
 * Node arguments that start the CLI (without the CLI's own arguments): the package's `bin`,
 * `dist/cli/bin.cjs`, or its source `src/cli/bin.cts` through tsx.
 * `AUTHFLOW_TEST_CLI=src` or `=dist` forces one.
 */
export function cliInvocation(): string[] {
  const forced = process.env.AUTHFLOW_TEST_CLI;
  invocation ??= (forced ? forced === 'dist' : distIsFresh())
    ? [join(ROOT, 'dist/cli/bin.cjs')]
    : ['--import', 'tsx', join(ROOT, 'src/cli/bin.cts')];
  return invocation;
}

/** Variables that would change how the CLI behaves on the test machine. */
const SCRUB =
  /^(AUTHFLOW_|DISPLAY$|WAYLAND_DISPLAY$|SSH_|NO_COLOR$|FORCE_COLOR$|DBUS_SESSION_BUS_ADDRESS$|XDG_CONFIG_HOME$)/;

/**
 * The CLI's environment: the test's own minus anything that changes its behaviour, with its
 * own config dir and (unless `extra` says otherwise) a D-Bus address that leads nowhere, so the
 * keychain is unusable and fails fast.
 */
export function cliEnv(
  configDir: string,
  extra: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!SCRUB.test(key)) env[key] = value;
  }
  env.AUTHFLOW_CONFIG_DIR = configDir;
  env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/nonexistent/authflow-test-bus';
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** A fresh config dir, deleted after the test. */
export async function tempConfigDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'authflow-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** How a CLI run ended. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running CLI process. */
export class CliProcess extends CommandOutput {
  readonly child: ChildProcess;
  readonly exit: Promise<CliResult>;
  protected readonly endedText = 'The CLI exited';

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    super();
    this.child = spawn(process.execPath, [...cliInvocation(), ...args], {
      env,
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.append('stdout', chunk);
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.append('stderr', chunk);
    });
    this.exit = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.wake();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  protected ended(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Kills the process if it still runs. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** Starts the CLI; killed after the test if still running. */
export function startCli(t: TestContext, args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const cli = new CliProcess(args, env);
  t.after(async () => {
    cli.kill();
    await cli.exit;
  });
  return cli;
}

/** Runs the CLI to the end (killed after `timeoutMs`). */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<CliResult> {
  const cli = new CliProcess(args, env);
  const timer = setTimeout(() => cli.kill(), timeoutMs);
  try {
    return await cli.exit;
  } finally {
    clearTimeout(timer);
  }
}

/** The sign-in URL the CLI printed (the provider's authorization URL). */
export async function waitForAuthorizeUrl(
  cli: Pick<CliProcess, 'waitForStderr'>,
  issuer: string,
): Promise<string> {
  const escaped = issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = await cli.waitForStderr(new RegExp(`(${escaped}/\\S+)`));
  return match[1] as string;
}

/** The loopback port of the redirect URI in an authorization URL. */
export function redirectPort(authorizeUrl: string): number {
  const redirect = new URL(authorizeUrl).searchParams.get('redirect_uri');
  if (!redirect) throw new Error(`No redirect_uri in ${authorizeUrl}`);
  return Number(new URL(redirect).port);
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export async function isListening(port: number): Promise<boolean> {
  return (await tryConnect('127.0.0.1', port)) === 'connected';
}

/** Reads the file store's token file of a profile. */
export async function readTokenFile(
  configDir: string,
  profile = 'default',
): Promise<{ version: number; tokens: Record<string, Record<string, unknown>> }> {
  return JSON.parse(await readFile(join(configDir, 'tokens', `${profile}.json`), 'utf8'));
}

/** Marks a stored access token as expired (file store), so the next `token` refreshes. */
export async function expireStoredToken(
  configDir: string,
  userId = 'alice',
  profile = 'default',
): Promise<void> {
  const path = join(configDir, 'tokens', `${profile}.json`);
  const file = JSON.parse(await readFile(path, 'utf8'));
  file.tokens[userId].expiresAt = Math.floor(Date.now() / 1000) - 10;
  await writeFile(path, JSON.stringify(file), { mode: 0o600 });
}

/** The provider flags for the test's development provider. */
export function devProviderFlags(dev: { issuer: string; clientId: string }): string[] {
  return [
    '--provider',
    'oidc',
    '--issuer',
    dev.issuer,
    '--client-id',
    dev.clientId,
    '--scopes',
    'openid profile email offline_access',
  ];
}
