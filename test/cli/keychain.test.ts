// The CLI on the OS keychain (gnome-keyring on a private D-Bus): tokens and the client secret
// go there, not to files; without a usable keychain login falls back to a 0600 file, with one
// warning. The keychain store itself: test/stores/keyring.test.ts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { KeyringTokenStore } from '../../src/stores/keyring.js';
import { useBrowser } from '../helpers/browser.js';
import { useDevProvider } from '../helpers/dev-provider.js';
import { useSecretService, useSilentBus, withBus } from '../helpers/keyring.js';
import { cliEnv, runCli, tempConfigDir } from './harness.js';
import { loginWithBrowser } from './sign-in.js';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

describe('the CLI on a real Secret Service', () => {
  const bus = useSecretService();
  const browser = useBrowser();
  const dev = useDevProvider();

  test('login stores tokens and the client secret in the keychain, not in files', async (t) => {
    const dir = await tempConfigDir(t);
    const env = cliEnv(dir, { DBUS_SESSION_BUS_ADDRESS: bus() });
    // The confidential web client: its secret must go to the keychain.
    const login = await loginWithBrowser(t, browser(), dev(), env, {
      args: ['--client-id', dev().webClientId, '--client-secret', dev().webClientSecret],
    });
    assert.equal(login.code, 0, login.stderr);
    assert.doesNotMatch(login.stderr, /keychain/, 'the keychain works: no fallback warning');

    const status = JSON.parse((await runCli(['status', '--json'], env)).stdout);
    assert.equal(status.store, 'keyring');
    assert.match(status.storeLocation, /OS keychain/);
    assert.equal(existsSync(join(dir, 'tokens')), false, 'no token file');

    const first = await runCli(['token'], env);
    assert.equal(first.code, 0, first.stderr);
    const accessToken = first.stdout.trim();
    for (const file of await filesUnder(dir)) {
      const text = await readFile(file, 'utf8');
      assert.ok(!text.includes(accessToken), `${file} holds no token`);
      assert.ok(!text.includes(dev().webClientSecret), `${file} holds no client secret`);
    }

    await withBus(bus(), async () => {
      const store = new KeyringTokenStore({ service: 'authflow', keyPrefix: 'profile:default:' });
      try {
        assert.equal(await store.loadSecret('client-secret:default'), dev().webClientSecret);
        const saved = await store.load('alice');
        assert.equal(saved?.accessToken, accessToken);
        // Expire it in the keychain: `token` refreshes (with the saved secret) and saves back.
        await store.save('alice', { ...(saved as NonNullable<typeof saved>), expiresAt: 1 });
        const before = dev().tokenRequests.refresh_token;
        const refreshed = await runCli(['token'], env);
        assert.equal(refreshed.code, 0, refreshed.stderr);
        assert.notEqual(refreshed.stdout.trim(), accessToken);
        assert.equal(dev().tokenRequests.refresh_token, before + 1);
        assert.equal((await store.load('alice'))?.accessToken, refreshed.stdout.trim());

        const logout = await runCli(['logout'], env);
        assert.equal(logout.code, 0, logout.stderr);
        assert.match(logout.stdout, /revoked the refresh token/);
        assert.equal(await store.exists('alice'), false);
        assert.equal((await dev().introspect(refreshed.stdout.trim())).active, false);
      } finally {
        store.close();
      }
    });
  });
});

describe('without a usable keychain', () => {
  const browser = useBrowser();
  const dev = useDevProvider();

  test('login falls back to a 0600 file with a one-line warning, and the profile remembers it', async (t) => {
    const dir = await tempConfigDir(t);
    const env = cliEnv(dir); // D-Bus address leads nowhere
    const login = await loginWithBrowser(t, browser(), dev(), env);
    assert.equal(login.code, 0, login.stderr);
    const tokenFile = join(dir, 'tokens', 'default.json');
    const warnings = login.stderr.split('\n').filter((line) => /warning/.test(line));
    assert.equal(warnings.length, 1);
    const warning = warnings[0] as string;
    assert.match(
      warning,
      /the OS keychain is not available here; tokens go to .* \(--verbose says why\)$/,
    );
    assert.ok(warning.includes(tokenFile), 'the warning says where the tokens are');
    assert.ok(warning.length - tokenFile.length < 140, `short: ${warning}`);
    assert.doesNotMatch(login.stderr, /DBus|D-Bus|socket/i, 'the detail only with --verbose');
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
    const profile = JSON.parse(await readFile(join(dir, 'profiles.json'), 'utf8')).profiles.default;
    assert.equal(profile.store, 'file');
    assert.match(profile.storeFallbackReason, /DBus|D-Bus|socket/i);

    const again = await loginWithBrowser(t, browser(), dev(), env);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /warning/, 'the file choice is remembered');
    assert.equal((await runCli(['token'], env)).code, 0);
  });

  test('--store keyring fails clearly instead of falling back', async (t) => {
    const dir = await tempConfigDir(t);
    const result = await runCli(
      [
        'login',
        '--no-browser',
        '--store',
        'keyring',
        '--provider',
        'oidc',
        '--issuer',
        dev().issuer,
        '--client-id',
        dev().clientId,
      ],
      cliEnv(dir),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /The OS keychain is not usable here/);
  });

  test('a silent D-Bus never hangs the CLI: the keychain times out, login falls back', async (t) => {
    const dir = await tempConfigDir(t);
    const address = await useSilentBus(t);

    const env = cliEnv(dir, {
      DBUS_SESSION_BUS_ADDRESS: address,
      AUTHFLOW_KEYRING_TIMEOUT_MS: '1000',
    });
    const login = await loginWithBrowser(t, browser(), dev(), env, { args: ['--verbose'] });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /warning: the OS keychain is not available here/);
    assert.match(login.stderr, /\n {2}keychain: The OS keychain did not answer within 1000 ms/);
  });
});
