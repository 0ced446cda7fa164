// Refresh across processes: concurrent `authflow token` runs make ONE refresh request, and a
// process killed mid-refresh leaves the previous token set (and no stuck lock) behind.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireFileLock } from '../../src/stores/lock.js';
import { useBrowser } from '../helpers/browser.js';
import { useDevProvider } from '../helpers/dev-provider.js';
import {
  CliProcess,
  cliEnv,
  expireStoredToken,
  ROOT,
  readTokenFile,
  runCli,
  startCli,
  tempConfigDir,
} from './harness.js';
import { loginWithBrowser } from './sign-in.js';

describe('authflow token refresh across processes', () => {
  const browser = useBrowser();
  // Rotating refresh tokens: a second refresh with the same token would be rejected.
  const dev = useDevProvider({ rotateRefreshTokens: true });

  test('three `token` processes at once with an expired token: one refresh at the provider', async (t) => {
    const dir = await tempConfigDir(t);
    const env = cliEnv(dir);
    assert.equal(
      (await loginWithBrowser(t, browser(), dev(), env, { args: ['--store', 'file'] })).code,
      0,
    );
    await expireStoredToken(dir);
    const before = dev().tokenRequests.refresh_token;
    const results = await Promise.all([1, 2, 3].map(() => runCli(['token'], env)));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const tokens = new Set(results.map((r) => r.stdout.trim()));
    assert.equal(tokens.size, 1, 'all three print the same, refreshed token');
    assert.equal(dev().tokenRequests.refresh_token - before, 1, 'exactly one refresh request');
    const [token] = tokens;
    assert.equal((await dev().introspect(token as string)).active, true);
    // The rotated refresh token was saved: the next refresh works.
    await expireStoredToken(dir);
    const next = await runCli(['token'], env);
    assert.equal(next.code, 0, next.stderr);
    assert.equal(dev().tokenRequests.refresh_token - before, 2);
  });

  test('a process killed mid-refresh leaves the previous token set intact and the lock breakable', async (t) => {
    const dir = await tempConfigDir(t);
    const env = cliEnv(dir);
    assert.equal(
      (await loginWithBrowser(t, browser(), dev(), env, { args: ['--store', 'file'] })).code,
      0,
    );
    await expireStoredToken(dir);
    const tokenFile = join(dir, 'tokens', 'default.json');
    const snapshot = await readFile(tokenFile, 'utf8');

    dev().setFault({ endpoint: 'token', kind: 'hang' });
    t.after(() => dev().setFault(null));
    const before = dev().tokenRequests.refresh_token;
    const cli = new CliProcess(['token'], env);
    t.after(() => cli.kill());
    const deadline = Date.now() + 20_000;
    while (dev().tokenRequests.refresh_token === before) {
      assert.ok(Date.now() < deadline, `the refresh never reached the provider: ${cli.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(
      (await readdir(join(dir, 'locks'))).some((name) => name.startsWith('refresh-default')),
      'the lock is held',
    );
    cli.kill('SIGKILL');
    await cli.exit;

    assert.equal(await readFile(tokenFile, 'utf8'), snapshot, 'the token file is untouched');
    assert.deepEqual(
      (await readdir(join(dir, 'tokens'))).sort(),
      ['default.json'],
      'no temp files left',
    );

    dev().setFault(null);
    const started = Date.now();
    const next = await runCli(['token'], env);
    assert.equal(next.code, 0, next.stderr);
    assert.ok(Date.now() - started < 15_000, "the dead process's lock was broken at once");
    assert.equal((await dev().introspect(next.stdout.trim())).active, true);
  });
});

describe('authflow token with short-lived tokens (issue 8)', () => {
  const browser = useBrowser();
  const dev = useDevProvider({ accessTokenTtl: 3 });
  /** Preload that reports each process's first attempt at the refresh lock (observes only). */
  const PROBE = join(ROOT, 'test/cli/fixtures/lock-probe.cjs');

  test('SLT-05 ten `authflow token` processes that all waited at the lock, with a 3-second token: ONE refresh grant, and all print the token it got', async (t) => {
    const dir = await tempConfigDir(t);
    const env = cliEnv(dir);
    assert.equal(
      (await loginWithBrowser(t, browser(), dev(), env, { args: ['--store', 'file'] })).code,
      0,
    );
    await expireStoredToken(dir);
    const expired = (await readTokenFile(dir)).tokens.alice?.accessToken;
    const probe = join(dir, 'lock-probe.log');
    await writeFile(probe, '');
    // The test holds the refresh lock until all ten have read the expired set and wait at it,
    // so that each of them finds, once it has the lock, a set that another has just refreshed
    // (a 3-second token: inside the 60 s buffer, and still valid).
    const lock = await acquireFileLock(join(dir, 'locks', 'refresh-default.lock'));
    let held = true;
    t.after(() => (held ? lock.release() : undefined));
    const before = dev().tokenRequests.refresh_token;
    const probed = cliEnv(dir, {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${PROBE}`.trim(),
      LOCK_PROBE_LOG: probe,
    });
    const processes = Array.from({ length: 10 }, () => startCli(t, ['token'], probed));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const waiting = (await readFile(probe, 'utf8')).split('\n').filter(Boolean).length;
      if (waiting === 10) break;
      const gone = processes.find((cli) => cli.child.exitCode !== null);
      assert.equal(gone, undefined, `a process ended before the lock: ${gone?.stderr}`);
      assert.ok(Date.now() < deadline, `only ${waiting} of 10 processes reached the lock`);
      await sleep(50);
    }
    held = false;
    await lock.release();
    const results = await Promise.all(processes.map((cli) => cli.exit));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const printed = new Set(results.map((result) => result.stdout.trim()));
    assert.equal(printed.size, 1, 'all ten print the same token');
    assert.equal(dev().tokenRequests.refresh_token - before, 1, 'ONE refresh grant');
    const [token] = printed;
    assert.ok(token && token !== expired, 'the refreshed token, not the expired one');
  });
});
