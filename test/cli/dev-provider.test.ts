// `authflow dev-provider`: a long-running command stopped with Ctrl-C, end to end through the
// real binary, with `login` and `token` in other processes using it. `authflow serve` runs
// in-process: commands/serve/serve.test.ts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { signInAtDevProvider, useBrowser, withPage } from '../helpers/browser.js';
import {
  cliEnv,
  expireStoredToken,
  isListening,
  runCli,
  startCli,
  tempConfigDir,
  waitForAuthorizeUrl,
} from './harness.js';

describe('authflow dev-provider', () => {
  const browser = useBrowser();

  test('dev-provider runs until Ctrl-C, and login --dev uses it (tokens stay refreshable)', async (t) => {
    const dir = await tempConfigDir(t);
    const env = cliEnv(dir);
    const server = startCli(t, ['dev-provider', '--json'], env);
    await server.waitForStdout(/\n\}\n/);
    const info = JSON.parse(server.stdout);
    assert.equal(info.clientId, 'authflow-native');
    assert.match(info.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    const discovery = await fetch(`${info.issuer}/.well-known/openid-configuration`).then((r) =>
      r.json(),
    );
    assert.equal(discovery.issuer, info.issuer);
    assert.ok(existsSync(join(dir, 'dev-provider.json')));

    const login = startCli(t, ['login', '--dev', '--no-browser', '--store', 'file'], env);
    const url = await waitForAuthorizeUrl(login, info.issuer);
    assert.doesNotMatch(login.stderr, /Started the development provider/);
    await withPage(browser(), (page) => signInAtDevProvider(page, url));
    assert.equal((await login.exit).code, 0, login.stderr);

    await expireStoredToken(dir);
    const token = await runCli(['token'], env);
    assert.equal(token.code, 0, token.stderr);

    // A second one refuses, and leaves the first (and its state file) alone.
    const second = await runCli(['dev-provider'], env);
    assert.equal(second.code, 1, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(`A development provider is already running at ${info.issuer}`),
    );
    assert.ok(existsSync(join(dir, 'dev-provider.json')), 'the first one keeps its state file');
    assert.equal((await fetch(`${info.issuer}/.well-known/openid-configuration`)).ok, true);

    server.child.kill('SIGINT');
    const result = await server.exit;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(existsSync(join(dir, 'dev-provider.json')), false, 'state file removed');
    assert.equal(await isListening(Number(new URL(info.issuer).port)), false);

    // With the provider gone, every command that needs it says what to run.
    await expireStoredToken(dir);
    const failed = await runCli(['token'], env);
    assert.equal(failed.code, 1);
    assert.match(
      failed.stderr,
      /Could not refresh .*The development provider at \S+ is not running\. Start it in another terminal: .*dev-provider/,
    );
    const whoamiDown = await runCli(['whoami'], env);
    assert.equal(whoamiDown.code, 1);
    assert.match(
      whoamiDown.stderr,
      /is not running\. Start it in another terminal: .*dev-provider/,
    );

    // Started again, it is the same provider: same issuer, and the earlier tokens still work.
    const again = startCli(t, ['dev-provider', '--json'], env);
    await again.waitForStdout(/\n\}\n/);
    assert.equal(JSON.parse(again.stdout).issuer, info.issuer, 'the port is remembered');
    const refreshed = await runCli(['token'], env);
    assert.equal(refreshed.code, 0, refreshed.stderr);
    const whoami = await runCli(['whoami', '--json'], env);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.equal(JSON.parse(whoami.stdout).sub, 'alice');
    again.child.kill('SIGINT');
    assert.equal((await again.exit).code, 0);
  });

  test('login --dev started in-process: after it ends, a restarted dev-provider still honours its tokens', async (t) => {
    const dir = await tempConfigDir(t);
    const env = cliEnv(dir);
    const login = startCli(t, ['login', '--dev', '--no-browser', '--store', 'file'], env);
    const [, issuer] = await login.waitForStderr(
      /Started the development provider at (\S+) for this sign-in/,
    );
    assert.match(login.stderr, /keep it running in another terminal: .*dev-provider/);
    const url = await waitForAuthorizeUrl(login, issuer as string);
    await withPage(browser(), (page) => signInAtDevProvider(page, url, { username: 'zoe' }));
    assert.equal((await login.exit).code, 0, login.stderr);
    assert.equal(await isListening(Number(new URL(issuer as string).port)), false, 'stopped');

    const server = startCli(t, ['dev-provider', '--json'], env);
    await server.waitForStdout(/\n\}\n/);
    assert.equal(JSON.parse(server.stdout).issuer, issuer, 'same port as the in-process one');
    const whoami = await runCli(['whoami', '--json'], env);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.equal(JSON.parse(whoami.stdout).sub, 'zoe', 'the access token of the earlier run');
    await expireStoredToken(dir, 'zoe');
    const token = await runCli(['token'], env);
    assert.equal(token.code, 0, token.stderr);
    // A plain `login` of a --dev profile uses the running provider again.
    const relogin = startCli(t, ['login', '--no-browser'], env);
    const again = await waitForAuthorizeUrl(relogin, issuer as string);
    await withPage(browser(), (page) => signInAtDevProvider(page, again, { username: 'zoe' }));
    assert.equal((await relogin.exit).code, 0, relogin.stderr);
    server.child.kill('SIGINT');
    assert.equal((await server.exit).code, 0);
  });
});
