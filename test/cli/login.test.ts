// `authflow login` end to end: the CLI as a subprocess, the embedded development provider,
// headless Chromium doing the user's part.
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { signInAtDevProvider, signInDeviceFlow, useBrowser, withPage } from '../helpers/browser.js';
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

  test('--device: Chromium enters the user code at the provider', async (t) => {
    const dir = await tempConfigDir(t);
    const env = cliEnv(dir);
    const cli = startCli(
      t,
      ['login', '--device', '--json', '--store', 'file', ...devProviderFlags(dev())],
      env,
    );
    const [, verificationUri] = await cli.waitForStderr(/open this page on any device:\n\s+(\S+)/);
    const [, userCode] = await cli.waitForStderr(/enter the code:\s+(\S+)/);
    const polls = dev().tokenRequests.device_code;
    const outcome = await withPage(browser(), (page) =>
      signInDeviceFlow(
        page,
        { verificationUri: verificationUri as string, userCode: userCode as string },
        { username: 'bob' },
      ),
    );
    assert.equal(outcome, 'approved');
    const result = await cli.exit;
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.equal(json.profile, 'default');
    assert.equal(json.userId, 'bob');
    assert.equal(json.store, 'file');
    assert.ok(json.expiresAt > Date.now() / 1000);
    assert.ok(dev().tokenRequests.device_code > polls, 'the CLI polled the token endpoint');
    const token = await runCli(['token'], env);
    assert.equal((await dev().introspect(token.stdout.trim())).active, true);
  });

  test('picks the device flow by itself in an SSH session', async (t) => {
    const dir = await tempConfigDir(t);
    const env = cliEnv(dir, { SSH_CONNECTION: '10.0.0.1 5000 10.0.0.2 22' });
    const cli = startCli(t, ['login', '--store', 'file', ...devProviderFlags(dev())], env);
    await cli.waitForStderr(/using the device flow/);
    const [, uri] = await cli.waitForStderr(/open this page on any device:\n\s+(\S+)/);
    const [, code] = await cli.waitForStderr(/enter the code:\s+(\S+)/);
    await withPage(browser(), (page) =>
      signInDeviceFlow(page, { verificationUri: uri as string, userCode: code as string }),
    );
    assert.equal((await cli.exit).code, 0, cli.stderr);
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

  test('Ctrl-C during the device flow cancels (exit 4)', async (t) => {
    const dir = await tempConfigDir(t);
    const cli = startCli(
      t,
      ['login', '--device', '--store', 'file', ...devProviderFlags(dev())],
      cliEnv(dir),
    );
    await cli.waitForStderr(/enter the code:\s+(\S+)/);
    cli.child.kill('SIGINT');
    const result = await cli.exit;
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /Sign-in cancelled\./);
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

  test('gives up after --timeout with exit 3', async (t) => {
    const dir = await tempConfigDir(t);
    const result = await runCli(
      ['login', '--no-browser', '--timeout', '1', '--store', 'file', ...devProviderFlags(dev())],
      cliEnv(dir),
    );
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /timed out after 1 s.*--timeout/);
  });

  test('--dev --no-browser signs in against an embedded provider started in-process', async (t) => {
    const dir = await tempConfigDir(t);
    const cli = startCli(t, ['login', '--dev', '--no-browser', '--store', 'file'], cliEnv(dir));
    const [, issuer] = await cli.waitForStderr(
      /Started the development provider at (\S+) for this sign-in/,
    );
    const url = await waitForAuthorizeUrl(cli, issuer as string);
    await withPage(browser(), (page) => signInAtDevProvider(page, url, { username: 'carol' }));
    const result = await cli.exit;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Signed in as carol .*\(profile default\)\n$/);
    const token = await runCli(['token'], cliEnv(dir));
    assert.equal(token.code, 0, token.stderr);
    assert.ok(token.stdout.trim().length > 10);
  });

  test('profiles remember their settings; the second login needs only --profile', async (t) => {
    const dir = await tempConfigDir(t);
    const env = cliEnv(dir);
    assert.equal(
      (await loginWithBrowser(t, browser(), dev(), env, { args: ['--store', 'file'] })).code,
      0,
    );
    const work = await loginWithBrowser(t, browser(), dev(), env, {
      args: ['--store', 'file', '--profile', 'work'],
      username: 'dave',
    });
    assert.equal(work.code, 0, work.stderr);
    assert.match(work.stdout, /\(profile work\)/);

    const list = await runCli(['profiles', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout);
    assert.deepEqual(
      rows.map((r: { name: string; provider: string; account: string; store: string }) => [
        r.name,
        r.provider,
        r.account,
        r.store,
      ]),
      [
        ['default', 'oidc', 'alice <alice@example.test>', 'file'],
        ['work', 'oidc', 'dave <dave@example.test>', 'file'],
      ],
    );
    const human = await runCli(['profiles'], env);
    assert.match(human.stdout, /^PROFILE\s+PROVIDER\s+ACCOUNT\s+STORE\n/);
    assert.ok(!human.stdout.includes('\u001b['), 'no colours when stdout is not a terminal');

    // Again with only --profile: provider and store come from the profile.
    const cli = startCli(t, ['login', '--no-browser', '--profile', 'work'], env);
    const url = await waitForAuthorizeUrl(cli, dev().issuer);
    await withPage(browser(), (page) => signInAtDevProvider(page, url, { username: 'erin' }));
    const relogin = await cli.exit;
    assert.equal(relogin.code, 0, relogin.stderr);
    const status = JSON.parse(
      (await runCli(['status', '--json', '--profile', 'work'], env)).stdout,
    );
    assert.equal(status.userId, 'erin');
    assert.equal(status.store, 'file');
    const aliceToken = (await runCli(['token'], env)).stdout.trim();
    const erinToken = (await runCli(['token', '--profile', 'work'], env)).stdout.trim();
    assert.equal((await dev().introspect(aliceToken)).sub, 'alice');
    assert.equal((await dev().introspect(erinToken)).sub, 'erin');

    // logout --all signs out every account of every profile.
    const all = await runCli(['logout', '--all', '--json'], env);
    assert.equal(all.code, 0, all.stderr);
    const signedOut = JSON.parse(all.stdout).signedOut.map(
      (s: { profile: string; userId: string }) => `${s.profile}/${s.userId}`,
    );
    assert.deepEqual(signedOut.sort(), ['default/alice', 'work/dave', 'work/erin']);
    assert.equal((await dev().introspect(erinToken)).active, false);
  });
});

function readFileText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}
