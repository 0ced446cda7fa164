// `authflow login` end to end: the real binary as a subprocess (its fast path for `token`
// included), the embedded development provider, headless Chromium doing the user's part; Ctrl-C
// as a real signal; --window with a real Chromium. The other login tests run in-process:
// commands/login/login.test.ts.
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { useBrowser } from '../helpers/browser.js';
import { useDevProvider } from '../helpers/dev-provider.js';
import {
  cliEnv,
  devProviderFlags,
  expireStoredToken,
  isListening,
  readTokenFile,
  redirectPort,
  runCli,
  startCli,
  tempConfigDir,
  waitForAuthorizeUrl,
} from './harness.js';
import { loginWithBrowser } from './sign-in.js';

describe('authflow login', () => {
  const browser = useBrowser();
  const dev = useDevProvider();

  test('--no-browser prints the URL; Chromium signs in; token, status, refresh, logout', async (t) => {
    const dir = await tempConfigDir(t);
    const env = cliEnv(dir);
    const login = await loginWithBrowser(t, browser(), dev(), env, { args: ['--store', 'file'] });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stdout.trim(), 'Signed in as alice <alice@example.test> (profile default)');
    assert.match(login.stderr, /Open this URL in a browser to sign in/);

    const profiles = JSON.parse(await readFileText(join(dir, 'profiles.json')));
    assert.equal(profiles.profiles.default.store, 'file');
    assert.equal(profiles.profiles.default.provider.issuerUrl, dev().issuer);
    const stored = (await readTokenFile(dir)).tokens.alice as Record<string, string>;
    for (const secret of [stored.accessToken, stored.refreshToken, stored.idToken]) {
      assert.ok(secret && !JSON.stringify(profiles).includes(secret), 'no token in profiles.json');
      assert.ok(
        !login.stdout.includes(secret) && !login.stderr.includes(secret),
        'no token printed',
      );
    }
    assert.equal((await stat(join(dir, 'profiles.json'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'tokens', 'default.json'))).mode & 0o777, 0o600);

    // Cached token: printed alone on stdout, and the provider knows it.
    const first = await runCli(['token'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, '');
    const token = first.stdout.trim();
    assert.equal(first.stdout, `${token}\n`);
    assert.equal((await dev().introspect(token)).active, true);
    assert.equal(token, (await readTokenFile(dir)).tokens.alice?.accessToken);

    const status = await runCli(['status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout);
    assert.deepEqual(Object.keys(parsed).slice(0, 6), [
      'profile',
      'authenticated',
      'userId',
      'expiresAt',
      'scopes',
      'store',
    ]);
    assert.equal(parsed.profile, 'default');
    assert.equal(parsed.authenticated, true);
    assert.equal(parsed.userId, 'alice');
    assert.equal(parsed.store, 'file');
    assert.equal(parsed.storeLocation, join(dir, 'tokens', 'default.json'));
    assert.ok(parsed.expiresAt > Date.now() / 1000);
    assert.ok(parsed.scopes.includes('openid'));
    assert.doesNotMatch(status.stdout, new RegExp(token));

    // Expired: `token` refreshes once at the provider and prints the new token.
    await expireStoredToken(dir);
    const before = dev().tokenRequests.refresh_token;
    const refreshed = await runCli(['token'], env);
    assert.equal(refreshed.code, 0, refreshed.stderr);
    const newToken = refreshed.stdout.trim();
    assert.notEqual(newToken, token);
    assert.equal(dev().tokenRequests.refresh_token, before + 1);
    assert.equal((await dev().introspect(newToken)).active, true);
    const again = await runCli(['token'], env);
    assert.equal(again.stdout.trim(), newToken, 'the refreshed token was saved');
    assert.equal(dev().tokenRequests.refresh_token, before + 1);

    // whoami asks the provider.
    const whoami = await runCli(['whoami', '--json'], env);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.equal(JSON.parse(whoami.stdout).sub, 'alice');

    // Logout revokes at the provider and deletes locally.
    const refreshToken = (await readTokenFile(dir)).tokens.alice?.refreshToken as string;
    const logout = await runCli(['logout'], env);
    assert.equal(logout.code, 0, logout.stderr);
    assert.match(
      logout.stdout,
      /Signed out alice .*revoked the refresh token and the access token at the provider; deleted the local tokens/,
    );
    assert.equal((await dev().introspect(newToken)).active, false);
    assert.equal((await dev().introspect(refreshToken)).active, false);
    assert.deepEqual((await readTokenFile(dir)).tokens, {});

    const after = await runCli(['token'], env);
    assert.equal(after.code, 1);
    assert.equal(after.stdout, '');
    assert.equal(after.stderr.trim().split('\n').length, 1, 'one line on stderr');
    assert.match(after.stderr, /Not signed in \(profile "default"\)\. Run: authflow login/);

    const statusAfter = await runCli(['status', '--json'], env);
    assert.equal(statusAfter.code, 1);
    assert.equal(JSON.parse(statusAfter.stdout).authenticated, false);
  });

  test('Ctrl-C while waiting cancels (exit 4) and releases the loopback port', async (t) => {
    const dir = await tempConfigDir(t);
    const cli = startCli(
      t,
      ['login', '--no-browser', '--store', 'file', ...devProviderFlags(dev())],
      cliEnv(dir),
    );
    const url = await waitForAuthorizeUrl(cli, dev().issuer);
    const port = redirectPort(url);
    assert.equal(await isListening(port), true, 'the loopback server listens while waiting');
    cli.child.kill('SIGINT');
    const result = await cli.exit;
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /Sign-in cancelled\./);
    assert.equal(await isListening(port), false, 'the port is released');
    assert.equal((await runCli(['status'], cliEnv(dir))).code, 1, 'nothing was saved');
  });

  test('--window opens a dedicated Chromium window; closing it cancels (exit 4)', async (t) => {
    const dir = await tempConfigDir(t);
    // A wrapper runs the real Chromium headless and tells us its pid.
    const wrapper = join(dir, 'chromium.sh');
    const pidFile = join(dir, 'chromium.pid');
    await writeFile(
      wrapper,
      `#!/bin/sh\necho $$ > '${pidFile}'\nexec /usr/bin/chromium --headless --no-sandbox --disable-gpu "$@"\n`,
      { mode: 0o700 },
    );
    t.after(async () => {
      const leftover = Number(await readFile(pidFile, 'utf8').catch(() => ''));
      if (leftover) {
        try {
          process.kill(leftover, 'SIGKILL');
        } catch {}
      }
    });
    const cli = startCli(
      t,
      ['login', '--window', '--store', 'file', ...devProviderFlags(dev())],
      cliEnv(dir, { AUTHFLOW_CHROMIUM_PATH: wrapper }),
    );
    await cli.waitForStderr(/Opened a sign-in window/);
    let pid: number | undefined;
    for (let i = 0; i < 200 && !pid; i++) {
      pid = Number(await readFile(pidFile, 'utf8').catch(() => '')) || undefined;
      if (!pid) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(pid, 'Chromium was started through AUTHFLOW_CHROMIUM_PATH');
    process.kill(pid, 'SIGTERM');
    const result = await cli.exit;
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /window was closed/);
  });
});

function readFileText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}
