/**
 * A cross-process lock on a file: created with `O_EXCL`, holding the owner's pid, host
 * and a nonce. A lock whose owner is dead (same host) or whose heartbeat stopped
 * (mtime older than `staleMs`) is broken, so a process killed while holding it never
 * blocks the others for long.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { ErrorCodes, StoreError } from '../errors.js';

/** Options for {@link acquireFileLock}. */
export interface FileLockOptions {
  /** How long to wait for the lock before rejecting, in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /**
   * A lock whose file has not been touched for this long is considered abandoned, in
   * milliseconds. The holder touches it every `staleMs / 3`. Default 10 000.
   */
  staleMs?: number;
  /** Aborts the wait. */
  signal?: AbortSignal;
}

/** A lock this process holds until `release()`; its file is touched meanwhile, so it never looks abandoned. */
export interface FileLock {
  /** The lock file's path. */
  readonly path: string;
  /** Releases the lock. Safe to call twice. */
  release(): Promise<void>;
}

interface LockOwner {
  pid: number;
  host: string;
  nonce: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' && typeof owner.nonce === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the lock at `path` is abandoned; `undefined` when it vanished meanwhile. */
async function isStale(path: string, staleMs: number): Promise<boolean | undefined> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
  const owner = await readOwner(path);
  if (owner === undefined) {
    // Being written right now, or garbage: only the heartbeat can tell.
    return Date.now() - mtimeMs > staleMs;
  }
  if (owner.host === hostname() && !isAlive(owner.pid)) return true;
  return Date.now() - mtimeMs > staleMs;
}

/** Moves a stale lock aside, then checks it was the one judged stale (not a fresh one). */
async function breakStale(path: string, staleMs: number): Promise<void> {
  const judged = await readOwner(path);
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else broke it first
  }
  const moved = await readOwner(aside);
  const sameOne = judged === undefined || moved?.nonce === judged.nonce;
  if (!sameOne && !(await isStale(aside, staleMs))) {
    // We moved a lock that another process had just taken: put it back.
    await link(aside, path).catch(() => {});
  }
  await unlink(aside).catch(() => {});
}

/**
 * Takes the lock at `path` (creating its directory, mode 0700), waiting while another
 * live process holds it. Rejects with `StoreError` (`store_error`) after `timeoutMs`.
 */
export async function acquireFileLock(
  path: string,
  options: FileLockOptions = {},
): Promise<FileLock> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleMs = options.staleMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    nonce: randomBytes(12).toString('hex'),
  };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let delay = 5;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(owner));
      } finally {
        await handle.close();
      }
      return heldLock(path, owner, staleMs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StoreError(`Cannot create the lock file ${path}: ${(error as Error).message}`, {
          code: ErrorCodes.STORE_ERROR,
          cause: error,
        });
      }
    }
    if ((await isStale(path, staleMs)) === true) {
      await breakStale(path, staleMs);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new StoreError(
        `Timed out after ${timeoutMs} ms waiting for the lock ${path}. If no other authflow process is running, delete that file.`,
        { code: ErrorCodes.STORE_ERROR },
      );
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}

function heldLock(path: string, owner: LockOwner, staleMs: number): FileLock {
  // Heartbeat: keeps a long-held lock from looking abandoned. Unref'd: never keeps the process alive.
  const heartbeat = setInterval(
    () => {
      const now = new Date();
      utimes(path, now, now).catch(() => {});
    },
    Math.max(50, Math.floor(staleMs / 3)),
  );
  heartbeat.unref();
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      // Only remove the file if it is still ours (it may have been broken as stale).
      if ((await readOwner(path))?.nonce === owner.nonce) await unlink(path).catch(() => {});
    },
  };
}

/**
 * Runs `fn` while holding the lock at `path`, and releases it however `fn` ends.
 *
 * @example
 * ```ts
 * await withFileLock(`${path}.lock`, async () => {
 *   // read, change and write `path`: no other process does so meanwhile
 * });
 * ```
 */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const lock = await acquireFileLock(path, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
