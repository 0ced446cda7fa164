// `authflow serve` in-process (../../in-process.ts): the deploy-mode routes on loopback until
// stopped (the stop button plays Ctrl-C), signed in with headless Chromium.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signInAtDevProvider, useBrowser, withPage } from '../../../helpers/browser.js';
import { isListening, tempConfigDir } from '../../harness.js';
import { runCommand, startCommand } from '../../in-process.js';

describe('authflow serve (in-process)', () => {
  const browser = useBrowser();

  test('serve --dev: the deploy-mode routes and the tiny page, signed in with Chromium', async (t) => {
    const dir = await tempConfigDir(t);
    const server = startCommand(t, ['serve', '--dev'], dir);
    const [, base] = await server.waitForStdout(
      /Serving deploy mode at (http:\/\/127\.0\.0\.1:\d+)\//,
    );
    const home = await fetch(`${base}/`);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /Not signed in/);
    const status = await fetch(`${base}/auth/status`).then((r) => r.json());
    assert.equal(status.authenticated, false);

    await withPage(browser(), async (page) => {
      await signInAtDevProvider(page, `${base}/auth/login`);
      await page.goto(`${base}/`);
      assert.match((await page.textContent('body')) ?? '', /Signed in as alice/);
      const response = await page.goto(`${base}/auth/userinfo`);
      assert.equal((await response?.json())?.userId, 'alice');
    });

    server.stop('SIGINT');
    const result = await server.exit;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await isListening(Number(new URL(base as string).port)), false);
  });

  test('serve without provider settings is a usage error', async (t) => {
    const result = await runCommand(['serve'], await tempConfigDir(t));
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /has no provider settings yet\. Run "authflow login --profile default" first, or use --dev/,
    );
  });
});
