/**
 * The development provider as the CLI keeps it: its keys, grants and tokens live in
 * `<config dir>/dev-provider/`, and its port is chosen once and remembered there, so a provider
 * started again (by `authflow dev-provider` or `login --dev`) is the same provider and earlier
 * tokens stay valid. `login --dev` and `serve --dev` reuse a running one, else start one in
 * their own process for as long as they run.
 *
 * @module
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NATIVE_CLIENT_ID } from '../../dev/clients.js';
import type { DevProvider } from '../../dev/types.js';
import { commandName } from './command-name.js';
import { CliError, ExitCode } from './exit.js';

/** What `authflow dev-provider` writes to its state file (`dev-provider.json`). */
export interface DevProviderState {
  /** Its issuer URL. */
  issuer: string;
  /** The public native client id. */
  clientId: string;
  /** Its process id. */
  pid: number;
}

/** A development provider to sign in against. */
export interface DevProviderHandle {
  /** Issuer URL. */
  issuer: string;
  /** Public native client id. */
  clientId: string;
  /** Whether it runs in this process (and stops when the command ends). */
  inProcess: boolean;
  /** Stops it when it runs in this process. */
  close(): Promise<void>;
}

/** The directory of the development provider's keys, grants and port. */
export function devStateDir(configDir: string): string {
  return join(configDir, 'dev-provider');
}

const portFile = (configDir: string) => join(devStateDir(configDir), 'port');

/** The remembered port, when one was chosen before. */
export async function savedDevPort(configDir: string): Promise<number | undefined> {
  const text = await readFile(portFile(configDir), 'utf8').catch(() => '');
  const port = Number(text.trim());
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

async function savePort(configDir: string, port: number): Promise<void> {
  await mkdir(devStateDir(configDir), { recursive: true, mode: 0o700 });
  await writeFile(portFile(configDir), `${port}\n`, { mode: 0o600 });
}

/** Whether a development provider answers as `issuer` (discovery within 2 s). */
export async function devProviderAnswers(issuer: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/.well-known/openid-configuration', issuer), {
      signal: AbortSignal.timeout(2000),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return false;
    }
    return ((await response.json()) as { issuer?: unknown }).issuer === issuer;
  } catch {
    return false;
  }
}

const issuerAt = (port: number) => `http://127.0.0.1:${port}`;

/** The running development provider of this config dir, if one answers at its port. */
export async function runningDevProvider(configDir: string): Promise<string | undefined> {
  const port = await savedDevPort(configDir);
  if (port === undefined) return undefined;
  return (await devProviderAnswers(issuerAt(port))) ? issuerAt(port) : undefined;
}

/**
 * Starts the development provider of this config dir in this process: its kept keys and grants,
 * on `port` (else its remembered port, else a random one, then remembered). Rejects with a
 * {@link CliError} when a development provider already runs there, or the port is taken.
 */
export async function startKeptDevProvider(configDir: string, port?: number): Promise<DevProvider> {
  const chosen = port ?? (await savedDevPort(configDir));
  const { startDevProvider } = await import('../../dev/index.js');
  let dev: DevProvider;
  try {
    dev = await startDevProvider({ port: chosen ?? 0, stateDir: devStateDir(configDir) });
  } catch (error) {
    if (chosen !== undefined && /is taken/.test((error as Error).message)) {
      if (await devProviderAnswers(issuerAt(chosen))) throw alreadyRunning(issuerAt(chosen));
      const name = commandName();
      throw new CliError(
        `Port ${chosen} on 127.0.0.1, where the development provider lives, is taken by another program. Stop that program, or move the provider: ${name} dev-provider --port <free port> (profiles signed in at the old port then need ${name} login --dev again).`,
      );
    }
    throw error;
  }
  if (dev.port !== (await savedDevPort(configDir))) await savePort(configDir, dev.port);
  return dev;
}

/** The error for a second provider of the same config dir. */
export function alreadyRunning(issuer: string): CliError {
  return new CliError(
    `A development provider is already running at ${issuer} (this config dir has one provider). Use it (${commandName()} login --dev signs in against it), or stop it first.`,
    ExitCode.FAILURE,
  );
}

/** Reuses the running development provider, else starts it in this process. */
export async function devProviderForLogin(configDir: string): Promise<DevProviderHandle> {
  const reuse = (issuer: string): DevProviderHandle => ({
    issuer,
    clientId: NATIVE_CLIENT_ID,
    inProcess: false,
    close: async () => {},
  });
  const running = await runningDevProvider(configDir);
  if (running) return reuse(running);
  try {
    const dev = await startKeptDevProvider(configDir);
    return {
      issuer: dev.issuer,
      clientId: dev.clientId,
      inProcess: true,
      close: () => dev.close(),
    };
  } catch (error) {
    // Another command started it in the meantime: use that one.
    const now = await runningDevProvider(configDir);
    if (now) return reuse(now);
    throw error;
  }
}
