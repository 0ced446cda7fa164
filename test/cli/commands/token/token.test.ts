// `authflow token` and `authflow status` in-process, on a clock of the test's own (the context's
// `now`): the one freshness decision (src/cli/shared/token-freshness.cts) is asked with the
// command's clock on both the cheap read and the store path, and status reads the same clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useBrowser } from '../../../helpers/browser.js';
import { useDevProvider } from '../../../helpers/dev-provider.js';
import { readTokenFile, tempConfigDir } from '../../harness.js';
import { runCommand } from '../../in-process.js';
import { loginInProcess } from '../../sign-in.js';

describe('authflow token on the context clock (in-process)', () => {
  const browser = useBrowser();
  const dev = useDevProvider();

  test('a token still fresh now is refreshed once the clock passes its due time; status reads the same clock', async (t) => {
    const dir = await tempConfigDir(t);
    const login = await loginInProcess(t, browser(), dev(), dir, { args: ['--store', 'file'] });
    assert.equal(login.code, 0, login.stderr);
    const stored = (await readTokenFile(dir)).tokens.alice as {
      accessToken: string;
      expiresAt: number;
    };
    const before = dev().tokenRequests.refresh_token;

    const now = await runCommand(['token', '--json'], dir);
    assert.equal(now.code, 0, now.stderr);
    assert.equal(
      JSON.parse(now.stdout).accessToken,
      stored.accessToken,
      'fresh: printed as stored',
    );
    assert.equal(dev().tokenRequests.refresh_token, before, 'no refresh');

    // Ten seconds past its expiry by the command's clock: due, refreshed once at the provider.
    const later = () => (stored.expiresAt + 10) * 1000;
    const status = await runCommand(['status', '--json'], dir, { now: later });
    assert.equal(status.code, 0, 'expired but refreshable: still signed in');
    assert.equal(JSON.parse(status.stdout).accessTokenExpired, true);
    const refreshed = await runCommand(['token'], dir, { now: later });
    assert.equal(refreshed.code, 0, refreshed.stderr);
    const token = refreshed.stdout.trim();
    assert.notEqual(token, stored.accessToken);
    assert.equal(dev().tokenRequests.refresh_token, before + 1, 'one refresh request');
    assert.equal((await dev().introspect(token)).active, true);
    assert.equal((await readTokenFile(dir)).tokens.alice?.accessToken, token, 'saved');
  });
});
