/**
 * The embedded development provider for `login --dev`: a running `authflow dev-provider`
 * (found through its state file) is reused, so tokens stay refreshable after `login`
 * exits; otherwise one is started in this process for the sign-in.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import paths from './paths.cjs';

const { devProviderStatePath } = paths;

/** What `authflow dev-provider` writes to its state file. */
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

async function runningDevProvider(dir: string): Promise<DevProviderState | undefined> {
  let state: DevProviderState;
  try {
    state = JSON.parse(await readFile(devProviderStatePath(dir), 'utf8')) as DevProviderState;
    process.kill(state.pid, 0);
  } catch {
    return undefined;
  }
  try {
    const response = await fetch(new URL('/.well-known/openid-configuration', state.issuer), {
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    return response.ok ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Reuses a running `authflow dev-provider`, else starts one in this process. */
export async function devProviderForLogin(dir: string): Promise<DevProviderHandle> {
  const running = await runningDevProvider(dir);
  if (running) {
    return {
      issuer: running.issuer,
      clientId: running.clientId,
      inProcess: false,
      close: async () => {},
    };
  }
  const { startDevProvider } = await import('../dev/index.js');
  const dev = await startDevProvider();
  return { issuer: dev.issuer, clientId: dev.clientId, inProcess: true, close: () => dev.close() };
}
