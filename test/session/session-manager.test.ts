import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { type DevProvider, startDevProvider } from '../../src/dev/index.js';
import { TokenError, TokenRefreshError } from '../../src/errors.js';
import { AuthFlowManager } from '../../src/flow/auth-flow-manager.js';
import { GenericOIDCProvider } from '../../src/providers/index.js';
import { SessionManager } from '../../src/session/session-manager.js';
import { MemoryTokenStore } from '../../src/stores/memory.js';
import type { OAuthTokenSet } from '../../src/tokens/token-set.js';
import { launchBrowser, signInAtDevProvider } from '../helpers/browser.js';
import { halfLived } from '../helpers/token-age.js';

let dev: DevProvider;
let browser: Browser;
let provider: GenericOIDCProvider;

before(async () => {
  // Access tokens that live 30 s: refreshed in the second half of their life (the 60 s buffer is
  // capped at half the lifetime); tests that need a refresh now age the set with halfLived().
  dev = await startDevProvider({ accessTokenTtl: 30, autoConsent: true });
  browser = await launchBrowser();
  provider = new GenericOIDCProvider({
    clientId: dev.clientId,
    issuerUrl: dev.issuer,
    scopes: ['openid', 'profile', 'offline_access'],
  });
});
after(async () => {
  await browser?.close();
  await dev?.close();
});

async function signIn(username = 'ada'): Promise<OAuthTokenSet> {
  const manager = new AuthFlowManager({ provider });
  let browsing: Promise<void> = Promise.resolve();
  const result = await manager.runNative({
    showWindow: (url) => {
      browsing = (async () => {
        const context = await browser.newContext();
        try {
          await signInAtDevProvider(await context.newPage(), url, { username });
        } finally {
          await context.close();
        }
      })();
      browsing.catch(() => {});
    },
  });
  await browsing;
  assert.ok(result.tokens);
  return result.tokens;
}

describe('SessionManager against the embedded provider', () => {
  it('collapses concurrent getAccessToken() calls into one refresh at the provider', async () => {
    const store = new MemoryTokenStore();
    const session = new SessionManager({ provider, tokenStore: store, backgroundRefresh: false });
    const first = await signIn();
    await session.saveTokens(halfLived(first));
    dev.resetCounters();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => session.getAccessToken()));
    assert.equal(dev.tokenRequests.refresh_token, 1);
    assert.equal(new Set(tokens).size, 1);
    assert.notEqual(tokens[0], first.accessToken);
    assert.equal((await store.load('default'))?.accessToken, tokens[0]);
  });

  it('saves rotated refresh tokens; the old one is refused afterwards', async () => {
    const store = new MemoryTokenStore();
    const session = new SessionManager({ provider, tokenStore: store, backgroundRefresh: false });
    const first = await signIn();
    await session.saveTokens(first);
    const refreshed = await session.refresh();
    assert.ok(refreshed.refreshToken);
    assert.notEqual(refreshed.refreshToken, first.refreshToken);
    assert.equal((await store.load('default'))?.refreshToken, refreshed.refreshToken);
    await assert.rejects(
      provider.refreshTokens(first.refreshToken as string),
      (error: unknown) => error instanceof TokenRefreshError && error.code === 'reauth_required',
    );
  });

  it('a rejected refresh token raises reauth_required, calls the hook and deletes nothing', async () => {
    const store = new MemoryTokenStore();
    const reauth: TokenRefreshError[] = [];
    const session = new SessionManager({
      provider,
      tokenStore: store,
      backgroundRefresh: false,
      onReauthRequired: (error) => reauth.push(error),
    });
    const tokens = await signIn();
    await session.saveTokens(halfLived(tokens));
    assert.equal(await provider.revokeToken(tokens.refreshToken as string, 'refresh_token'), true);
    await assert.rejects(
      session.getAccessToken(),
      (error: unknown) => error instanceof TokenRefreshError && error.code === 'reauth_required',
    );
    assert.equal(reauth.length, 1);
    assert.equal((await store.load('default'))?.refreshToken, tokens.refreshToken);
  });

  it('refreshes in the background before expiry without keeping the process alive', async () => {
    const store = new MemoryTokenStore();
    const session = new SessionManager({ provider, tokenStore: store });
    const tokens = await signIn();
    dev.resetCounters();
    await session.saveTokens(halfLived(tokens));
    for (let i = 0; i < 500 && dev.tokenRequests.refresh_token === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    session.dispose();
    assert.ok(dev.tokenRequests.refresh_token >= 1);
  });

  it('logout revokes refresh and access tokens at the provider and deletes them', async () => {
    const store = new MemoryTokenStore();
    const session = new SessionManager({ provider, tokenStore: store, backgroundRefresh: false });
    const tokens = await signIn();
    await session.saveTokens(tokens);
    const result = await session.logout();
    assert.deepEqual(result, { revoked: ['refresh_token', 'access_token'], deleted: true });
    assert.equal((await dev.introspect(tokens.accessToken)).active, false);
    assert.equal((await dev.introspect(tokens.refreshToken as string)).active, false);
    assert.equal(await store.exists('default'), false);
    await assert.rejects(
      session.getAccessToken(),
      (error: unknown) => error instanceof TokenError && error.code === 'not_authenticated',
    );
  });
});
