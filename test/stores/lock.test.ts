// The cross-process file lock (src/stores/lock.ts) behind the file store, `authflow token`'s
// single refresh and profiles.json updates.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { StoreError } from '../../src/errors.js';
import { acquireFileLock, withFileLock } from '../../src/stores/lock.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid as number;
}

describe('acquireFileLock', () => {
  test('processes take turns: critical sections never overlap', async (t) => {
    const dir = await tempDir(t, 'authflow-lock-');
    const log = join(dir, 'log');
    await writeFile(log, '');
    const script = `
      import { appendFileSync } from 'node:fs';
      import { withFileLock } from ${JSON.stringify(join(ROOT, 'src/stores/lock.ts'))};
      for (let i = 0; i < 3; i++) {
        await withFileLock(${JSON.stringify(join(dir, 'x.lock'))}, async () => {
          appendFileSync(${JSON.stringify(log)}, 'in ' + process.pid + '\\n');
          await new Promise((r) => setTimeout(r, 20));
          appendFileSync(${JSON.stringify(log)}, 'out ' + process.pid + '\\n');
        });
      }`;
    const children = [1, 2, 3].map(() =>
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: ROOT,
        stdio: 'inherit',
      }),
    );
    const codes = await Promise.all(children.map(async (child) => (await once(child, 'exit'))[0]));
    assert.deepEqual(codes, [0, 0, 0]);
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 18);
    for (let i = 0; i < lines.length; i += 2) {
      const pid = lines[i]?.split(' ')[1];
      assert.equal(lines[i], `in ${pid}`);
      assert.equal(lines[i + 1], `out ${pid}`, `section ${i / 2} was not interrupted`);
    }
  });

  test('waits for the holder in the same process, then gets the lock', async (t) => {
    const path = join(await tempDir(t, 'authflow-lock-'), 'locks', 'a.lock');
    const first = await acquireFileLock(path);
    const order: string[] = [];
    const second = withFileLock(path, async () => {
      order.push('second');
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    order.push('first releases');
    await first.release();
    await second;
    assert.deepEqual(order, ['first releases', 'second']);
  });

  test('breaks a lock left by a dead process at once', async (t) => {
    const path = join(await tempDir(t, 'authflow-lock-'), 'b.lock');
    await writeFile(
      path,
      JSON.stringify({
        pid: await deadPid(),
        host: (await import('node:os')).hostname(),
        nonce: 'old',
      }),
    );
    // The file is fresh (stale only after 10 s): getting the lock within 2 s means the dead
    // owner was recognised, not that the lock went stale.
    const lock = await acquireFileLock(path, { timeoutMs: 2000, staleMs: 10_000 });
    assert.notEqual(JSON.parse(await readFile(path, 'utf8')).nonce, 'old');
    await lock.release();
  });

  test('a live lock times out with a clear error; an abandoned one (no heartbeat) is broken', async (t) => {
    const path = join(await tempDir(t, 'authflow-lock-'), 'c.lock');
    await writeFile(path, JSON.stringify({ pid: 1, host: 'another-host', nonce: 'theirs' }));
    await assert.rejects(
      acquireFileLock(path, { timeoutMs: 200, staleMs: 5000 }),
      (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.equal(error.code, 'store_error');
        assert.match(error.message, /Timed out after 200 ms waiting for the lock .*c\.lock/);
        return true;
      },
    );
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    const lock = await acquireFileLock(path, { timeoutMs: 2000, staleMs: 5000 });
    await lock.release();
  });

  test('the holder keeps its lock fresh while it works', async (t) => {
    const path = join(await tempDir(t, 'authflow-lock-'), 'd.lock');
    const lock = await acquireFileLock(path, { staleMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 700));
    await assert.rejects(acquireFileLock(path, { timeoutMs: 300, staleMs: 300 }), /Timed out/);
    await lock.release();
  });

  test('an abort signal stops the wait', async (t) => {
    const path = join(await tempDir(t, 'authflow-lock-'), 'e.lock');
    const lock = await acquireFileLock(path);
    const controller = new AbortController();
    const waiting = acquireFileLock(path, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 50);
    await assert.rejects(waiting, /stop/);
    await lock.release();
  });
});
