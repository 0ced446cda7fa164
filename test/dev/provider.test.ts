import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import type { Page } from 'playwright-core';
import {
  type DevProviderPageError,
  signInAtDevProvider,
  signOutAtDevProvider,
  useBrowser,
  withPage,
} from '../helpers/browser.js';
import {
  authorizeStatus,
  type RedirectCatcher,
  startRedirectCatcher,
  useDevProvider,
} from '../helpers/dev-provider.js';

const insecure = { execute: [client.allowInsecureRequests] };

async function nativeConfig(issuer: string, clientId: string): Promise<client.Configuration> {
  const config = await client.discovery(
    new URL(issuer),
    clientId,
    undefined,
    client.None(),
    insecure,
  );
  client.enableNonRepudiationChecks(config);
  return config;
}

/** One authorization code + PKCE sign-in with the browser; returns the token response. */
async function signIn(
  page: Page,
  config: client.Configuration,
  redirectUri: string,
  options: { username?: string; scope?: string } = {},
) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: options.scope ?? 'openid profile email offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const callback = await signInAtDevProvider(page, url.href, {
    username: options.username ?? 'alice',
  });
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  return { tokens, callback: new URL(callback) };
}

// One Chromium for the whole file.
const browser = useBrowser();

describe('development provider: authorization code flow in Chromium', () => {
  const dev = useDevProvider({ claims: (id) => ({ groups: id === 'alice' ? ['admins'] : [] }) });
  let catcher: RedirectCatcher;
  // Alice's tokens from the first sign-in, reused (in order) by the fault and revocation tests
  // to keep the suite fast.
  let alice: client.TokenEndpointResponse | undefined;
  before(async () => {
    catcher = await startRedirectCatcher();
  });
  after(async () => {
    await catcher?.close();
  });

  it('listens on 127.0.0.1 with a random port and publishes the expected metadata', async () => {
    const { issuer } = dev();
    assert.match(issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(dev().port, 0);
    const config = await nativeConfig(issuer, dev().clientId);
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, issuer);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.equal(metadata.authorization_response_iss_parameter_supported, true);
    assert.deepEqual(metadata.response_types_supported, ['code']);
    for (const endpoint of [
      'revocation_endpoint',
      'introspection_endpoint',
      'userinfo_endpoint',
      'end_session_endpoint',
      'device_authorization_endpoint',
      'jwks_uri',
    ] as const) {
      assert.ok(metadata[endpoint], `${endpoint} is published`);
    }
    const jwks = (await (await fetch(metadata.jwks_uri as string)).json()) as {
      keys: Record<string, unknown>[];
    };
    assert.deepEqual(jwks.keys.map((key) => key.alg).sort(), ['ES256', 'RS256']);
    assert.ok(
      jwks.keys.every((key) => key.d === undefined),
      'no private key material published',
    );
  });

  it('signs in with PKCE, returns iss, and issues a signed ID token with the account claims', async () => {
    dev().resetCounters();
    const config = await nativeConfig(dev().issuer, dev().clientId);
    await withPage(browser(), async (page) => {
      const { tokens, callback } = await signIn(page, config, catcher.redirectUri);
      assert.equal(callback.searchParams.get('iss'), dev().issuer);
      const claims = tokens.claims();
      assert.ok(claims);
      assert.equal(claims.sub, 'alice');
      assert.equal(claims.name, 'alice');
      assert.equal(claims.email, 'alice@example.test');
      assert.equal(claims.email_verified, true);
      assert.deepEqual(claims.groups, ['admins']);
      assert.ok(tokens.refresh_token, 'a refresh token is issued');
      assert.equal(tokens.expires_in, 3600);
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, 'alice');
      assert.equal(userinfo.email, 'alice@example.test');
      assert.equal(dev().tokenRequests.authorization_code, 1);
      assert.equal(dev().tokenRequests.total, 1);
      alice = tokens;
    });
  });

  it('issues refresh tokens without offline_access, and rotates them', async () => {
    const config = await nativeConfig(dev().issuer, dev().clientId);
    await withPage(browser(), async (page) => {
      const { tokens } = await signIn(page, config, catcher.redirectUri, {
        username: 'bob',
        scope: 'openid',
      });
      const first = tokens.refresh_token;
      assert.ok(first, 'refresh token issued without offline_access');
      dev().resetCounters();
      const refreshed = await client.refreshTokenGrant(config, first);
      assert.ok(refreshed.refresh_token);
      assert.notEqual(refreshed.refresh_token, first, 'rotated');
      assert.equal(dev().tokenRequests.refresh_token, 1);
      await assert.rejects(
        client.refreshTokenGrant(config, first),
        (error: client.ResponseBodyError) => {
          assert.equal(error.error, 'invalid_grant');
          return true;
        },
      );
      assert.equal(dev().tokenRequests.refresh_token, 2);
      assert.equal(dev().tokenRequests.total, 2);
    });
  });

  it('lets the web client sign in with its secret (basic and post) and log out', async () => {
    const { issuer, webClientId, webClientSecret } = dev();
    const basic = await client.discovery(
      new URL(issuer),
      webClientId,
      undefined,
      client.ClientSecretBasic(webClientSecret),
      insecure,
    );
    const post = await client.discovery(
      new URL(issuer),
      webClientId,
      undefined,
      client.ClientSecretPost(webClientSecret),
      insecure,
    );
    await withPage(browser(), async (page) => {
      const { tokens } = await signIn(
        page,
        basic,
        catcher.redirectUri.replace('/callback', '/auth/callback'),
      );
      const refreshed = await client.refreshTokenGrant(post, tokens.refresh_token as string);
      assert.ok(refreshed.access_token);
      const wrong = await client.discovery(
        new URL(issuer),
        webClientId,
        undefined,
        client.ClientSecretBasic('not-the-secret'),
        insecure,
      );
      await assert.rejects(
        client.refreshTokenGrant(wrong, refreshed.refresh_token as string),
        (error: { status?: number }) => {
          assert.equal(error.status, 401, 'a wrong secret is refused');
          return true;
        },
      );

      const endSession = client.buildEndSessionUrl(basic, {
        id_token_hint: tokens.id_token as string,
        post_logout_redirect_uri: `${new URL(catcher.redirectUri).origin}/signed-out`,
      });
      const finalUrl = await signOutAtDevProvider(page, endSession.href);
      assert.equal(new URL(finalUrl).pathname, '/signed-out');
    });
  });

  it('sends access_denied (with iss) when the user denies consent', async () => {
    const config = await nativeConfig(dev().issuer, dev().clientId);
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: catcher.redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'deny-state',
    });
    await withPage(browser(), async (page) => {
      const callback = new URL(await signInAtDevProvider(page, url.href, { consent: 'deny' }));
      assert.equal(callback.searchParams.get('error'), 'access_denied');
      assert.equal(callback.searchParams.get('state'), 'deny-state');
      assert.equal(callback.searchParams.get('iss'), dev().issuer);
    });
  });

  it('requires PKCE from the native client', async () => {
    const url = new URL('/auth', dev().issuer);
    url.search = new URLSearchParams({
      client_id: dev().clientId,
      redirect_uri: catcher.redirectUri,
      response_type: 'code',
      scope: 'openid',
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get('location') as string);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.match(location.searchParams.get('error_description') ?? '', /PKCE/);
  });

  it('accepts any loopback redirect URI and rejects others with its error page', async () => {
    const { issuer, clientId, webClientId } = dev();
    for (const uri of [
      'http://127.0.0.1:1234/x',
      'http://localhost:9/a/b?c=d',
      'http://[::1]:80/cb',
    ]) {
      assert.equal(await authorizeStatus(issuer, clientId, uri), 303, uri);
      assert.equal(await authorizeStatus(issuer, webClientId, uri), 303, uri);
    }
    for (const uri of [
      'https://127.0.0.1/cb',
      'http://example.com/cb',
      'http://127.0.0.1.example.com/cb',
      'http://u:p@127.0.0.1/cb',
    ]) {
      assert.equal(await authorizeStatus(issuer, clientId, uri), 400, uri);
    }
    await withPage(browser(), async (page) => {
      const url = new URL('/auth', issuer);
      url.search = new URLSearchParams({
        client_id: clientId,
        redirect_uri: 'http://example.com/cb',
        response_type: 'code',
        scope: 'openid',
      }).toString();
      await assert.rejects(signInAtDevProvider(page, url.href), (error: DevProviderPageError) => {
        assert.equal(error.error, 'invalid_redirect_uri');
        return true;
      });
    });
  });

  it('injects faults at the token and userinfo endpoints, counting the requests', async () => {
    assert.ok(alice, 'needs the tokens of the first sign-in');
    const config = await nativeConfig(dev().issuer, dev().clientId);
    const refreshToken = alice.refresh_token as string;
    dev().resetCounters();
    try {
      dev().setFault({ endpoint: 'token', kind: 'status500' });
      await assert.rejects(client.refreshTokenGrant(config, refreshToken), (error: Error) => {
        assert.ok(error.cause instanceof Response, 'openid-client reports the raw response');
        assert.equal(error.cause.status, 500);
        return true;
      });
      dev().setFault({ endpoint: 'token', kind: 'html' });
      await assert.rejects(client.refreshTokenGrant(config, refreshToken));
      dev().setFault({ endpoint: 'token', kind: 'hang' });
      const hanging = await fetch(new URL('/token', dev().issuer), {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: 'x',
          client_id: dev().clientId,
        }),
        signal: AbortSignal.timeout(300),
      }).catch((error: Error) => error);
      assert.ok(
        hanging instanceof Error && hanging.name === 'TimeoutError',
        'the token endpoint hangs',
      );
      dev().setFault({ endpoint: 'userinfo', kind: 'status500' });
      await assert.rejects(client.fetchUserInfo(config, alice.access_token, 'alice'));
    } finally {
      dev().setFault(null);
    }
    assert.equal(dev().tokenRequests.refresh_token, 3);
    assert.equal(dev().tokenRequests.total, 3);
    alice = await client.refreshTokenGrant(config, refreshToken);
    assert.ok(alice.access_token, 'works again without the fault');
    assert.equal(dev().tokenRequests.refresh_token, 4);
    assert.throws(() => dev().setFault({ endpoint: 'nope' as 'token', kind: 'hang' }), TypeError);
  });

  it('revokes: introspection says inactive afterwards', async () => {
    assert.ok(alice, 'needs the tokens of the first sign-in');
    const config = await nativeConfig(dev().issuer, dev().clientId);
    const refreshToken = alice.refresh_token as string;
    const active = await dev().introspect(alice.access_token);
    assert.equal(active.active, true);
    assert.equal(active.sub, 'alice');
    assert.equal((await dev().introspect(refreshToken)).active, true);
    await client.tokenRevocation(config, refreshToken);
    assert.equal((await dev().introspect(refreshToken)).active, false);
    assert.equal(
      (await dev().introspect(alice.access_token)).active,
      false,
      'the whole grant is revoked',
    );
  });
});

describe('development provider: options', () => {
  const dev = useDevProvider({
    autoConsent: true,
    rotateRefreshTokens: false,
    accessTokenTtl: 120,
    webClientSecret: 'a-fixed-secret-for-tests',
    claims: () => ({ department: 'qa' }),
    extraClaimNames: ['department'],
  });
  let catcher: RedirectCatcher;
  before(async () => {
    catcher = await startRedirectCatcher('/cb');
  });
  after(async () => {
    await catcher?.close();
  });

  it('skips consent, keeps refresh tokens, and applies TTL, secret and claims options', async () => {
    assert.equal(dev().webClientSecret, 'a-fixed-secret-for-tests');
    const config = await nativeConfig(dev().issuer, dev().clientId);
    await withPage(browser(), async (page) => {
      const { tokens } = await signIn(page, config, catcher.redirectUri, { username: 'erin' });
      assert.equal(tokens.expires_in, 120);
      assert.equal(tokens.claims()?.department, 'qa');
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
      assert.equal(
        refreshed.refresh_token ?? tokens.refresh_token,
        tokens.refresh_token,
        'not rotated',
      );
      const again = await client.refreshTokenGrant(config, tokens.refresh_token as string);
      assert.ok(again.access_token, 'the same refresh token still works');
    });
  });
});
