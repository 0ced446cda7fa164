/**
 * A real Linux Secret Service for tests: a private D-Bus session bus (dbus-run-session)
 * with gnome-keyring-daemon unlocked on it, its keyrings in a temp dir. Processes given
 * `env` talk to it. Fails loudly (never skips) when it cannot start: CI installs
 * `dbus` and `gnome-keyring` (see .ci/run).
 *
 * The daemons die with the test process even if it is killed: the bus lives as long as a
 * `cat` reading our stdin pipe, and gnome-keyring exits when its bus goes away.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { useStarted } from './fixture.js';
import { tempDir } from './temp-dir.js';

const execFileAsync = promisify(execFile);

/** A running Secret Service. */
export interface SecretService {
  /** Environment for processes that should use it (merge into process.env). */
  env: Record<string, string>;
  /** Stops the daemons and removes their files. Safe to call twice. */
  stop(): Promise<void>;
}

const SCRIPT = `
printf '%s' "$AUTHFLOW_TEST_KEYRING_PASSWORD" | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
GK=$!
echo "ADDR=$DBUS_SESSION_BUS_ADDRESS"
echo "GKPID=$GK"
cat >/dev/null
kill "$GK" 2>/dev/null
wait "$GK" 2>/dev/null
`;

function missing(tool: string): Error {
  return new Error(
    `${tool} is not installed: the keychain tests need a real Secret Service. Install it (Debian: apt-get install -y dbus gnome-keyring; .ci/run does this).`,
  );
}

async function hasSecretsOwner(env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    const { stdout } = await execFileAsync(
      'dbus-send',
      [
        '--session',
        '--dest=org.freedesktop.DBus',
        '--print-reply',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus.NameHasOwner',
        'string:org.freedesktop.secrets',
      ],
      { env, timeout: 2000 },
    );
    return stdout.includes('boolean true');
  } catch {
    return false;
  }
}

/** Starts a private bus with an unlocked gnome-keyring. Rejects with a clear message when it cannot. */
export async function startSecretService(): Promise<SecretService> {
  const root = await mkdtemp(join(tmpdir(), 'authflow-keyring-'));
  const env: Record<string, string> = {
    XDG_DATA_HOME: join(root, 'data'),
    XDG_RUNTIME_DIR: root, // mkdtemp makes it 0700, as gnome-keyring wants
    AUTHFLOW_TEST_KEYRING_PASSWORD: 'authflow-test',
  };
  let child: ChildProcess;
  try {
    child = spawn('dbus-run-session', ['--', 'sh', '-c', SCRIPT], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch {
    await rm(root, { recursive: true, force: true });
    throw missing('dbus-run-session');
  }
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  let gnomeKeyringPid: number | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.stdin?.end();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      if (gnomeKeyringPid) {
        try {
          process.kill(gnomeKeyringPid, 'SIGKILL');
        } catch {}
      }
    }, 3000);
    await exited;
    clearTimeout(timer);
    await rm(root, { recursive: true, force: true });
  };
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`dbus-run-session did not start within 10 s. ${stderr}`)),
        10_000,
      );
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(
          (error as NodeJS.ErrnoException).code === 'ENOENT' ? missing('dbus-run-session') : error,
        );
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`dbus-run-session exited (${code}) before the bus was ready. ${stderr}`));
      });
      child.stdout?.on('data', (chunk) => {
        out += chunk;
        const addr = /^ADDR=(.+)$/m.exec(out)?.[1];
        const pid = /^GKPID=(\d+)$/m.exec(out)?.[1];
        if (addr && pid) {
          clearTimeout(timer);
          gnomeKeyringPid = Number(pid);
          resolve(addr);
        }
      });
    });
    env.DBUS_SESSION_BUS_ADDRESS = address;
    const deadline = Date.now() + 10_000;
    while (!(await hasSecretsOwner({ ...process.env, ...env }))) {
      if (child.exitCode !== null) throw new Error(`the session bus ended early. ${stderr}`);
      if (Date.now() > deadline) {
        throw new Error(
          `gnome-keyring-daemon did not register org.freedesktop.secrets within 10 s (is gnome-keyring installed? apt-get install -y gnome-keyring). ${stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await stop();
    throw new Error(
      `Cannot start a Secret Service for the keychain tests: ${(error as Error).message}`,
    );
  }
  return { env, stop };
}

/**
 * Runs `fn` with this process's `DBUS_SESSION_BUS_ADDRESS` set to `address` (a keychain agent
 * started meanwhile inherits it), and puts the previous value back afterwards.
 */
export async function withBus<T>(address: string, fn: () => Promise<T>): Promise<T> {
  const previous = process.env.DBUS_SESSION_BUS_ADDRESS;
  process.env.DBUS_SESSION_BUS_ADDRESS = address;
  try {
    return await fn();
  } finally {
    if (previous === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = previous;
  }
}

/**
 * A D-Bus address whose socket accepts connections and never answers (a hung session bus);
 * closed after the test. Returns the address, e.g. for `DBUS_SESSION_BUS_ADDRESS`.
 */
export async function useSilentBus(t: TestContext): Promise<string> {
  const socketPath = join(await tempDir(t, 'authflow-bus-'), 'silent-bus.sock');
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `unix:path=${socketPath}`;
}

/**
 * node:test fixture: a {@link SecretService} for the tests of the enclosing `describe` (or
 * file), stopped after them even when they fail. The returned function gives its bus address.
 */
export function useSecretService(): () => string {
  const secrets = useStarted('useSecretService()', startSecretService, (s) => s.stop());
  return () => secrets().env.DBUS_SESSION_BUS_ADDRESS as string;
}
