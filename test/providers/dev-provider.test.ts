/**
 * GenericOIDCProvider against the real embedded development provider (oidc-provider on
 * 127.0.0.1), with headless Chromium doing the user's part.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { TokenRefreshError } from '../../src/errors.js';
import { GenericOIDCProvider } from '../../src/providers/oidc.js';
import type { OAuthTokenSet } from '../../src/tokens/token-set.js';
import { signInAtDevProvider, signInDeviceFlow, useBrowser, withPage } from '../helpers/browser.js';
import {
  type RedirectCatcher,
  startRedirectCatcher,
  useDevProvider,
} from '../helpers/dev-provider.js';
import { rejectsWith } from './helpers.js';

describe('GenericOIDCProvider with the embedded development provider', () => {
  const dev = useDevProvider({ autoConsent: true });
  const browser = useBrowser();
  let catcher: RedirectCatcher;
  before(async () => {
    catcher = await startRedirectCatcher();
  });
  after(() => catcher.close());

  const makeProvider = () =>
    new GenericOIDCProvider({
      clientId: dev().clientId,
      issuerUrl: dev().issuer,
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      extraAuthorizeParams: { prompt: 'consent' },
    });

  /** Signs in as `username` through the browser and exchanges the code. */
  async function signIn(provider: GenericOIDCProvider, username: string): Promise<OAuthTokenSet> {
    const state = client.randomState();
    const nonce = client.randomNonce();
    const verifier = client.randomPKCECodeVerifier();
    const url = await provider.buildAuthorizeUrl({
      redirectUri: catcher.redirectUri,
      state,
      nonce,
      codeChallenge: await client.calculatePKCECodeChallenge(verifier),
    });
    const callback = await withPage(browser(), (page) =>
      signInAtDevProvider(page, url.href, { username, waitUntil: 'redirect' }),
    );
    const callbackUrl = new URL(callback);
    assert.equal(callbackUrl.searchParams.get('iss'), dev().issuer, 'RFC 9207 iss is present');
    return provider.exchangeCode({
      callbackUrl,
      redirectUri: catcher.redirectUri,
      expectedState: state,
      expectedNonce: nonce,
      codeVerifier: verifier,
    });
  }

  it('signs in: discovery, PKCE, validated ID token, userinfo with the same sub', async () => {
    const provider = makeProvider();
    const tokens = await signIn(provider, 'alice');
    assert.equal(tokens.tokenType, 'Bearer');
    assert.ok(tokens.idToken && tokens.refreshToken && tokens.expiresAt);
    const info = await provider.getUserInfo(tokens);
    assert.equal(info.sub, 'alice');
  });

  it('refreshes with rotation; the old refresh token is then dead', async () => {
    const provider = makeProvider();
    const tokens = await signIn(provider, 'bob');
    const counters = dev().tokenRequests.refresh_token;
    const refreshed = await provider.refreshTokens(tokens.refreshToken as string, {
      idToken: tokens.idToken,
    });
    assert.equal(dev().tokenRequests.refresh_token, counters + 1);
    assert.ok(refreshed.refreshToken);
    assert.notEqual(refreshed.refreshToken, tokens.refreshToken);
    assert.notEqual(refreshed.accessToken, tokens.accessToken);
    await rejectsWith(provider.refreshTokens(tokens.refreshToken as string), {
      class: TokenRefreshError,
      code: 'reauth_required',
      providerError: 'invalid_grant',
    });
  });

  it('revokes: introspection then says inactive', async () => {
    const provider = makeProvider();
    const tokens = await signIn(provider, 'carol');
    assert.equal((await dev().introspect(tokens.refreshToken as string)).active, true);
    assert.equal(await provider.revokeToken(tokens.refreshToken as string, 'refresh_token'), true);
    assert.equal((await dev().introspect(tokens.refreshToken as string)).active, false);
    const logout = await provider.buildEndSessionUrl({ idTokenHint: tokens.idToken });
    assert.equal(logout?.origin, new URL(dev().issuer).origin);
  });

  it('runs the device authorization grant', async () => {
    const provider = makeProvider();
    assert.equal(await provider.supportsDeviceFlow(), true);
    const device = await provider.startDeviceAuthorization();
    const polling = device.poll();
    const outcome = await withPage(browser(), (page) =>
      signInDeviceFlow(page, device.verificationUriComplete ?? device.verificationUri, {
        username: 'dave',
      }),
    );
    assert.equal(outcome, 'approved');
    const tokens = await polling;
    assert.ok(tokens.idToken);
    assert.equal((await provider.getUserInfo(tokens)).sub, 'dave');
  });
});
