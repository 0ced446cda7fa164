import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StoreError } from '../../src/errors.js';
import { FileTokenStore } from '../../src/stores/file.js';
import type { OAuthTokenSet } from '../../src/tokens/token-set.js';

const tokens = (n: number): OAuthTokenSet => ({
  accessToken: `access-${n}`,
  tokenType: 'Bearer',
  refreshToken: `refresh-${n}`,
  issuedAt: 1_700_000_000,
  expiresAt: 1_700_003_600,
});

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authflow-store-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// The TokenStore contract itself (load, save, delete, keys, copies) is token-stores.test.ts;
// these tests cover what only the file store does.
describe('FileTokenStore', () => {
  it('FileTokenStore keeps its sets in a 0600 file and leaves no temporary files', async () => {
    const path = join(dir, 'contract', 'tokens.json');
    const store = new FileTokenStore({ path });
    await store.save('alice', tokens(1));
    await store.save('bob', tokens(2));
    assert.equal(await store.delete('alice'), true);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(join(dir, 'contract')), ['tokens.json']);
    // A second instance (another process, in effect) reads the same data.
    assert.deepEqual(await new FileTokenStore({ path }).load('bob'), tokens(2));
  });

  it('FileTokenStore reports a corrupt file clearly instead of crashing', async () => {
    const path = join(dir, 'corrupt.json');
    await writeFile(path, '{"tokens": {"x": {"accessToken": 5}}');
    const store = new FileTokenStore({ path });
    await assert.rejects(store.load('x'), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.equal(error.code, 'store_error');
      assert.match(error.message, /corrupt.*authflow login/);
      return true;
    });
    await assert.rejects(store.save('x', tokens(1)), StoreError);
  });

  it('FileTokenStore loses nothing when two processes write at once', async () => {
    const path = join(dir, 'shared.json');
    const script = `
      import { FileTokenStore } from './src/stores/file.ts';
      const store = new FileTokenStore({ path: process.argv[1] });
      const who = process.argv[2];
      for (let i = 0; i < 15; i++) {
        await store.save(who + '-' + i, { accessToken: 'a', tokenType: 'Bearer', issuedAt: i });
      }`;
    const run = (who: string) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script, path, who],
          {
            stdio: ['ignore', 'ignore', 'inherit'],
          },
        );
        child.on('error', reject);
        child.on('exit', (code) => resolve(code ?? 1));
      });
    assert.deepEqual(await Promise.all([run('p1'), run('p2')]), [0, 0]);
    const keys = await new FileTokenStore({ path }).listKeys();
    assert.equal(keys.length, 30);
  });
  it('FileTokenStore refuses a directory other users can write', async () => {
    const shared = join(dir, 'shared-dir');
    await mkdir(shared, { mode: 0o700 });
    await chmod(shared, 0o777);
    const store = new FileTokenStore({ path: join(shared, 'tokens.json') });
    for (const operation of [() => store.save('alice', tokens(1)), () => store.load('alice')]) {
      await assert.rejects(operation(), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.equal(error.code, 'store_error');
        assert.match(error.message, /can be written by other users \(mode 777\).*chmod 700/);
        return true;
      });
    }
    assert.deepEqual(await readdir(shared), [], 'nothing was written there');
  });

  it('FileTokenStore refuses a directory that belongs to someone else', async () => {
    // As root, a directory given to "nobody"; as anyone else, the root-owned /.
    let foreign = '/';
    if (process.getuid?.() === 0) {
      foreign = join(dir, 'foreign-dir');
      await mkdir(foreign, { mode: 0o700 });
      await chown(foreign, 65534, 65534);
    }
    const store = new FileTokenStore({ path: join(foreign, 'tokens.json') });
    await assert.rejects(store.save('alice', tokens(1)), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.equal(error.code, 'store_error');
      assert.match(error.message, /belongs to another user \(uid \d+\).*swap in tokens/);
      return true;
    });
  });

  it('FileTokenStore makes the directories it creates private (0700), whatever the umask', async () => {
    const previous = process.umask(0);
    try {
      const path = join(dir, 'made', 'deeper', 'tokens.json');
      await new FileTokenStore({ path }).save('alice', tokens(1));
      for (const created of [join(dir, 'made'), join(dir, 'made', 'deeper')]) {
        assert.equal((await stat(created)).mode & 0o777, 0o700, created);
      }
    } finally {
      process.umask(previous);
    }
  });
});
