// Refresh across processes: concurrent `authflow token` runs make ONE refresh request, and a
// process killed mid-refresh leaves the previous token set (and no stuck lock) behind.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { useBrowser } from '../helpers/browser.js';
import { useDevProvider } from '../helpers/dev-provider.js';
import { CliProcess, cliEnv, expireStoredToken, runCli, tempConfigDir } from './harness.js';
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
