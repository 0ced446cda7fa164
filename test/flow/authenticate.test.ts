import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DevProvider, startDevProvider } from '../../src/dev/index.js';
import { ConfigurationError } from '../../src/errors.js';
import { AuthFlowManager } from '../../src/flow/auth-flow-manager.js';
import { AuthFlowState } from '../../src/flow/state.js';
import { GenericOIDCProvider } from '../../src/providers/index.js';
import { FileTokenStore } from '../../src/stores/file.js';
import { signInAtDevProvider, withPage } from '../helpers/browser.js';

let dev: DevProvider;
before(async () => {
  dev = await startDevProvider({ autoConsent: true });
});
after(async () => {
  await dev?.close();
});

const provider = () => new GenericOIDCProvider({ clientId: dev.clientId, issuerUrl: dev.issuer });

describe('AuthFlowManager modes', () => {
  it('runDeploy() returns the login URL without a double slash', () => {
    const manager = new AuthFlowManager({ provider: provider() });
    assert.equal(manager.runDeploy(), '/auth/login');
    assert.equal(
      manager.runDeploy('https://app.example.com'),
      'https://app.example.com/auth/login',
    );
    assert.equal(
      manager.runDeploy('https://app.example.com/'),
      'https://app.example.com/auth/login',
    );
  });

  it('authenticate() in deploy mode names the URL to navigate to and starts nothing', async () => {
    const manager = new AuthFlowManager({ provider: provider() });
    const result = await manager.authenticate({
      mode: 'deploy',
      baseUrl: 'https://app.example.com',
    });
    assert.deepEqual(result, {
      success: false,
      error: 'Navigate to https://app.example.com/auth/login to authenticate (deploy mode)',
    });
    assert.equal(manager.flowState, AuthFlowState.PENDING);
  });

  it('authenticate() in native mode runs the native flow and stores the tokens in a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'authflow-auth-'));
    const store = new FileTokenStore({ path: join(dir, 'tokens.json') });
    const manager = new AuthFlowManager({ provider: provider(), tokenStore: store });
    try {
      const result = await withPage(async (page) => {
        let browsing: Promise<unknown> = Promise.resolve();
        const outcome = await manager.authenticate(
          { mode: 'native' },
          {
            showWindow: (url) => {
              browsing = signInAtDevProvider(page, url, { username: 'lin' });
              browsing.catch(() => {});
            },
          },
        );
        await browsing;
        return outcome;
      });
      assert.equal(result.success, true);
      assert.equal(result.userInfo?.sub, 'lin');
      assert.deepEqual(await store.listKeys(), ['lin']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a second flow while one runs, and an invalid timeout', async () => {
    assert.throws(
      () => new AuthFlowManager({ provider: provider(), authTimeout: 0 }),
      (error: unknown) =>
        error instanceof ConfigurationError && error.code === 'invalid_configuration',
    );
    const manager = new AuthFlowManager({ provider: provider() });
    const first = manager.runNative({ showWindow: () => {} });
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(manager.runNative({ showWindow: () => {} }), {
      message: /already in progress/,
      code: 'sign_in_in_progress',
    });
    manager.cancel();
    await assert.rejects(first, /cancelled/);
  });
});
