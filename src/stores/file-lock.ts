/**
 * A cross-process lock on a lock file, for read-modify-write of files shared by
 * several processes (two CLI processes saving tokens at once).
 *
 * @module
 */
import { open, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options for {@link withFileLock}. */
export interface FileLockOptions {
  /** How long to wait for the lock before giving up, in milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** A lock older than this is taken as left behind by a dead process, in milliseconds. Default 30 000. */
  staleMs?: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  try {
    const info = await stat(lockPath);
    if (Date.now() - info.mtimeMs > staleMs) return true;
    const handle = await open(lockPath, 'r');
    try {
      const pid = Number.parseInt(await handle.readFile('utf8'), 10);
      // A pid that is not running means its holder died without cleaning up.
      return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid);
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}

/**
 * Runs `fn` while holding an exclusive lock on `lockPath` (created with O_EXCL).
 * Waits with short sleeps while another process holds it; breaks a stale lock.
 * Rejects with an Error whose `code` is `ELOCKTIMEOUT` when it cannot get the lock in time.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const staleMs = options.staleMs ?? 30_000;
  let delay = 5;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStale(lockPath, staleMs)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw Object.assign(new Error(`Timed out waiting for the lock ${lockPath}`), {
          code: 'ELOCKTIMEOUT',
        });
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
