// Issue 10: errors that name the failing thing and the fix. In-process (in-process.ts), but
// --window, whose browser path comes from the process environment: through the real binary.
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { useDevProvider } from '../helpers/dev-provider.js';
import { cliEnv, devProviderFlags, runCli, tempConfigDir, waitForAuthorizeUrl } from './harness.js';
import { runCommand, startCommand } from './in-process.js';

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Writes a profiles.json by hand, as a user editing it would. */
async function writeProfiles(dir: string, profiles: Record<string, unknown>): Promise<void> {
  await writeFile(join(dir, 'profiles.json'), JSON.stringify({ version: 1, profiles }), {
    mode: 0o600,
  });
}

describe('errors that say what failed and what to do', () => {
  const dev = useDevProvider();

  test('login against an unreachable issuer: one message with the URL, the cause and what to check; nothing saved', async (t) => {
    const dir = await tempConfigDir(t);
    const port = await closedPort();
    const cases: Array<[string, RegExp]> = [
      [
        `http://127.0.0.1:${port}`,
        new RegExp(
          `^authflow: Could not reach the provider at http://127\\.0\\.0\\.1:${port}/\\.well-known/openid-configuration: the connection was refused .*Check the URL and port.*Nothing was saved\\.\\n$`,
        ),
      ],
      [
        'https://no-such-host.invalid',
        /^authflow: Could not reach the provider at https:\/\/no-such-host\.invalid\/\.well-known\/openid-configuration: the host name was not found\. Check .*DNS\. Nothing was saved\.\n$/,
      ],
    ];
    for (const [issuer, expected] of cases) {
      const result = await runCommand(
        ['login', '--provider', 'oidc', '--issuer', issuer, '--client-id', 'cli'],
        dir,
      );
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, expected);
      assert.equal(result.stdout, '');
    }
    assert.deepEqual(await readdir(dir), [], 'no profile, token file or lock was written');
  });

  test('AUTHFLOW_CONFIG_DIR pointing at a file is a clear usage error for every command', async (t) => {
    const dir = await tempConfigDir(t);
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    for (const args of [['status'], ['token'], ['logout'], ['login', '--dev']]) {
      const result = await runCommand(args, file);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(
        result.stderr,
        /The config directory .*not-a-dir is a file, not a directory\. Point AUTHFLOW_CONFIG_DIR at a directory/,
      );
      assert.doesNotMatch(result.stderr, /ENOTDIR|EEXIST|\n\s+at /);
    }
  });

  test('a profile without a client id and an unknown profile get the same clear message from every command', async (t) => {
    const dir = await tempConfigDir(t);
    await writeProfiles(dir, {
      edited: {
        provider: { provider: 'oidc', issuerUrl: dev().issuer },
        store: 'file',
        accounts: [{ userId: 'alice', signedInAt: 1 }],
        activeAccount: 'alice',
      },
    });
    const status = await runCommand(['status', '--profile', 'edited'], dir);
    assert.doesNotMatch(status.stdout, /undefined/);
    assert.match(
      status.stdout,
      /no client id: run authflow login --profile edited --client-id <id>/,
    );
    const serve = await runCommand(['serve', '--profile', 'edited'], dir);
    assert.equal(serve.code, 2, serve.stderr);
    assert.match(serve.stderr, /Profile "edited" has no client id in profiles\.json/);

    for (const command of ['token', 'whoami', 'logout']) {
      const result = await runCommand([command, '--profile', 'nosuch'], dir);
      assert.equal(result.code, 1, `${command}: ${result.stderr}`);
      assert.equal(
        result.stderr,
        'authflow: No such profile "nosuch" (profiles: edited). Run: authflow login --profile nosuch\n',
        command,
      );
    }
  });

  test('a corrupt token file is reported before the browser opens, and logout clears it', async (t) => {
    const dir = await tempConfigDir(t);
    await writeProfiles(dir, {
      default: {
        provider: { provider: 'oidc', issuerUrl: dev().issuer, clientId: dev().clientId },
        store: 'file',
        accounts: [{ userId: 'alice', signedInAt: 1 }],
        activeAccount: 'alice',
      },
    });
    await mkdir(join(dir, 'tokens'), { mode: 0o700 });
    await writeFile(join(dir, 'tokens', 'default.json'), '{"tokens": {"alice": ', { mode: 0o600 });
    const login = await runCommand(['login', '--no-browser', ...devProviderFlags(dev())], dir);
    assert.equal(login.code, 1, login.stderr);
    assert.doesNotMatch(login.stderr, /Open this URL/, 'no sign-in was started');
    assert.match(
      login.stderr,
      /The token file .*default\.json is corrupt\. Nothing was changed\. To clear it, run: authflow logout/,
    );
    const logout = await runCommand(['logout'], dir);
    assert.equal(logout.code, 0, logout.stderr);
    assert.match(logout.stdout, /the token file was corrupt.*deleted the local tokens/);
    assert.deepEqual(await readdir(join(dir, 'tokens')), [], 'the corrupt file is gone');
    // Now a sign-in starts.
    const again = startCommand(t, ['login', '--no-browser', ...devProviderFlags(dev())], dir);
    await waitForAuthorizeUrl(again, dev().issuer);
  });

  test('login --window without a usable Chromium says why, exits 1 and offers --no-browser and --device', async (t) => {
    const dir = await tempConfigDir(t);
    const runs: Array<[Record<string, string>, RegExp]> = [
      [
        { AUTHFLOW_CHROMIUM_PATH: join(dir, 'no-chromium') },
        /no-chromium could not be started \(not found\)/,
      ],
      // The real Chromium, not headless, with no display: it exits with an error.
      [{ AUTHFLOW_CHROMIUM_PATH: '/usr/bin/chromium' }, /chromium exited with code \d+/],
    ];
    for (const [extra, why] of runs) {
      const result = await runCli(
        ['login', '--window', '--store', 'file', ...devProviderFlags(dev())],
        cliEnv(dir, extra),
      );
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /The sign-in window could not be opened: /);
      assert.match(result.stderr, why);
      assert.match(result.stderr, /--no-browser .*--device/);
      assert.doesNotMatch(result.stderr, /window was closed/);
    }
  });

  test('serve checks the provider at start and logs failures without secrets', async (t) => {
    const dir = await tempConfigDir(t);
    const port = await closedPort();
    await writeProfiles(dir, {
      default: {
        provider: { provider: 'oidc', issuerUrl: `http://127.0.0.1:${port}`, clientId: 'cli' },
      },
    });
    const server = startCommand(t, ['serve'], dir, {
      env: { AUTHFLOW_CLIENT_SECRET: 'sv-secret-1234' },
    });
    const [, base] = await server.waitForStdout(
      /Serving deploy mode at (http:\/\/127\.0\.0\.1:\d+)\//,
    );
    assert.match(
      server.stderr,
      new RegExp(
        `authflow serve: warning: Could not reach the provider at http://127\\.0\\.0\\.1:${port}/.*refused`,
      ),
    );
    const login = await fetch(`${base}/auth/login`, { redirect: 'manual' });
    await login.body?.cancel();
    assert.ok(login.status >= 500, `the login fails (${login.status})`);
    await server.waitForStderr(/authflow serve: \/?\S*login\S*: .+/);
    assert.ok(!server.stderr.includes('sv-secret-1234'), 'no secret in the log');
  });
});
