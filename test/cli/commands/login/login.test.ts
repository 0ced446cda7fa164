// `authflow login` run in-process (../../in-process.ts) against the embedded development
// provider, headless Chromium doing the user's part; then `token`, `status`, `profiles` and
// `logout` on what it saved. The end-to-end sign-in through the real binary, Ctrl-C as a real
// signal and --window are in test/cli/login.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  signInAtDevProvider,
  signInDeviceFlow,
  useBrowser,
  withPage,
} from '../../../helpers/browser.js';
import { useDevProvider } from '../../../helpers/dev-provider.js';
import { devProviderFlags, tempConfigDir, waitForAuthorizeUrl } from '../../harness.js';
import { runCommand, startCommand } from '../../in-process.js';
import { loginInProcess } from '../../sign-in.js';

describe('authflow login (in-process)', () => {
  const browser = useBrowser();
  const dev = useDevProvider();

  test('--device: Chromium enters the user code at the provider', async (t) => {
    const dir = await tempConfigDir(t);
    const login = startCommand(
      t,
      ['login', '--device', '--json', '--store', 'file', ...devProviderFlags(dev())],
      dir,
    );
    const [, verificationUri] = await login.waitForStderr(
      /open this page on any device:\n\s+(\S+)/,
    );
    const [, userCode] = await login.waitForStderr(/enter the code:\s+(\S+)/);
    const polls = dev().tokenRequests.device_code;
    const outcome = await withPage(browser(), (page) =>
      signInDeviceFlow(
        page,
        { verificationUri: verificationUri as string, userCode: userCode as string },
        { username: 'bob' },
      ),
    );
    assert.equal(outcome, 'approved');
    const result = await login.exit;
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.equal(json.profile, 'default');
    assert.equal(json.userId, 'bob');
    assert.equal(json.store, 'file');
    assert.ok(json.expiresAt > Date.now() / 1000);
    assert.ok(dev().tokenRequests.device_code > polls, 'the CLI polled the token endpoint');
    const token = await runCommand(['token'], dir);
    assert.equal((await dev().introspect(token.stdout.trim())).active, true);
  });

  test('picks the device flow by itself in an SSH session', async (t) => {
    const dir = await tempConfigDir(t);
    const login = startCommand(t, ['login', '--store', 'file', ...devProviderFlags(dev())], dir, {
      env: { SSH_CONNECTION: '10.0.0.1 5000 10.0.0.2 22' },
    });
    await login.waitForStderr(/using the device flow/);
    const [, uri] = await login.waitForStderr(/open this page on any device:\n\s+(\S+)/);
    const [, code] = await login.waitForStderr(/enter the code:\s+(\S+)/);
    await withPage(browser(), (page) =>
      signInDeviceFlow(page, { verificationUri: uri as string, userCode: code as string }),
    );
    assert.equal((await login.exit).code, 0, login.stderr);
  });

  test('Ctrl-C during the device flow cancels (exit 4)', async (t) => {
    const dir = await tempConfigDir(t);
    const login = startCommand(
      t,
      ['login', '--device', '--store', 'file', ...devProviderFlags(dev())],
      dir,
    );
    await login.waitForStderr(/enter the code:\s+(\S+)/);
    login.stop('SIGINT');
    const result = await login.exit;
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /Sign-in cancelled\./);
  });

  test('gives up after --timeout with exit 3', async (t) => {
    const dir = await tempConfigDir(t);
    const result = await runCommand(
      ['login', '--no-browser', '--timeout', '1', '--store', 'file', ...devProviderFlags(dev())],
      dir,
    );
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /timed out after 1 s.*--timeout/);
  });

  test('--dev --no-browser signs in against an embedded provider started in-process', async (t) => {
    const dir = await tempConfigDir(t);
    const login = startCommand(t, ['login', '--dev', '--no-browser', '--store', 'file'], dir);
    const [, issuer] = await login.waitForStderr(
      /Started the development provider at (\S+) for this sign-in/,
    );
    const url = await waitForAuthorizeUrl(login, issuer as string);
    await withPage(browser(), (page) => signInAtDevProvider(page, url, { username: 'carol' }));
    const result = await login.exit;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Signed in as carol .*\(profile default\)\n$/);
    const token = await runCommand(['token'], dir);
    assert.equal(token.code, 0, token.stderr);
    assert.ok(token.stdout.trim().length > 10);
  });

  test('profiles remember their settings; the second login needs only --profile', async (t) => {
    const dir = await tempConfigDir(t);
    assert.equal(
      (await loginInProcess(t, browser(), dev(), dir, { args: ['--store', 'file'] })).code,
      0,
    );
    const work = await loginInProcess(t, browser(), dev(), dir, {
      args: ['--store', 'file', '--profile', 'work'],
      username: 'dave',
    });
    assert.equal(work.code, 0, work.stderr);
    assert.match(work.stdout, /\(profile work\)/);

    const list = await runCommand(['profiles', '--json'], dir);
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
    const human = await runCommand(['profiles'], dir);
    assert.match(human.stdout, /^PROFILE\s+PROVIDER\s+ACCOUNT\s+STORE\n/);
    assert.ok(!human.stdout.includes('\u001b['), 'no colours when stdout is not a terminal');

    // Again with only --profile: provider and store come from the profile.
    const login = startCommand(t, ['login', '--no-browser', '--profile', 'work'], dir);
    const url = await waitForAuthorizeUrl(login, dev().issuer);
    await withPage(browser(), (page) => signInAtDevProvider(page, url, { username: 'erin' }));
    const relogin = await login.exit;
    assert.equal(relogin.code, 0, relogin.stderr);
    const status = JSON.parse(
      (await runCommand(['status', '--json', '--profile', 'work'], dir)).stdout,
    );
    assert.equal(status.userId, 'erin');
    assert.equal(status.store, 'file');
    const aliceToken = (await runCommand(['token'], dir)).stdout.trim();
    const erinToken = (await runCommand(['token', '--profile', 'work'], dir)).stdout.trim();
    assert.equal((await dev().introspect(aliceToken)).sub, 'alice');
    assert.equal((await dev().introspect(erinToken)).sub, 'erin');

    // logout --all signs out every account of every profile.
    const all = await runCommand(['logout', '--all', '--json'], dir);
    assert.equal(all.code, 0, all.stderr);
    const signedOut = JSON.parse(all.stdout).signedOut.map(
      (s: { profile: string; userId: string }) => `${s.profile}/${s.userId}`,
    );
    assert.deepEqual(signedOut.sort(), ['default/alice', 'work/dave', 'work/erin']);
    assert.equal((await dev().introspect(erinToken)).active, false);
  });
});
