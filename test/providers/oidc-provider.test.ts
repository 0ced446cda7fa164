import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import {
  AuthenticationError,
  AuthFlowCancelled,
  AuthFlowTimeout,
  ConfigurationError,
  TokenRefreshError,
} from '../../src/errors.js';
import { GenericOIDCProvider } from '../../src/providers/oidc.js';
import { type HostileProvider, startHostileProvider } from '../helpers/hostile-provider.js';
import { callbackUrl, exchange, REDIRECT_URI, rejectsWith } from './helpers.js';

describe('GenericOIDCProvider against a scripted provider: the normal path', () => {
  let op: HostileProvider;
  before(async () => {
    op = await startHostileProvider({ clientSecret: 's3cret' });
  });
  after(() => op.close());

  const makeProvider = (
    extra: Partial<ConstructorParameters<typeof GenericOIDCProvider>[0]> = {},
  ) =>
    new GenericOIDCProvider({
      clientId: op.clientId,
      clientSecret: 's3cret',
      issuerUrl: op.issuer,
      ...extra,
    });

  it('discovers lazily, once, and builds a complete authorization URL', async () => {
    const before = op.requestsTo('discovery').length;
    const provider = makeProvider({ extraAuthorizeParams: { ui_locales: 'en' } });
    assert.equal(op.requestsTo('discovery').length, before, 'no request at construction');
    assert.equal(provider.isOidc, true);
    assert.deepEqual(provider.scopes, ['openid', 'email', 'profile']);
    const url = await provider.buildAuthorizeUrl({
      redirectUri: REDIRECT_URI,
      state: 'st',
      nonce: 'nn',
      codeChallenge: 'cc',
      extraParams: { login_hint: 'alice' },
    });
    await provider.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 'st2' });
    assert.equal(op.requestsTo('discovery').length, before + 1, 'discovery is cached');
    assert.equal(`${url.origin}${url.pathname}`, op.metadata.authorization_endpoint);
    const q = url.searchParams;
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('client_id'), op.clientId);
    assert.equal(q.get('redirect_uri'), REDIRECT_URI);
    assert.equal(q.get('scope'), 'openid email profile');
    assert.equal(q.get('state'), 'st');
    assert.equal(q.get('nonce'), 'nn');
    assert.equal(q.get('code_challenge'), 'cc');
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.equal(q.get('login_hint'), 'alice');
    assert.equal(q.get('ui_locales'), 'en');
  });

  it('refuses extra parameters that would override protocol ones', async () => {
    const provider = makeProvider();
    for (const key of [
      'state',
      'redirect_uri',
      'code_challenge_method',
      'nonce',
      'response_type',
    ]) {
      await assert.rejects(
        provider.buildAuthorizeUrl({
          redirectUri: REDIRECT_URI,
          state: 's',
          extraParams: { [key]: 'x' },
        }),
        ConfigurationError,
      );
    }
    assert.throws(
      () => makeProvider({ extraAuthorizeParams: { scope: 'admin' } }),
      ConfigurationError,
    );
  });

  it('exchanges a code: validated ID token, Bearer token set, PKCE verifier sent', async () => {
    const provider = makeProvider();
    const started = Math.floor(Date.now() / 1000);
    const tokens = await exchange(provider, op, { tokenResponse: { token_type: 'BEARER' } });
    assert.equal(tokens.tokenType, 'Bearer');
    assert.match(tokens.accessToken, /^at-/);
    assert.match(tokens.refreshToken ?? '', /^rt-/);
    assert.equal(tokens.expiresIn, 3600);
    assert.ok(tokens.issuedAt >= started);
    assert.equal(tokens.expiresAt, tokens.issuedAt + 3600);
    assert.equal(tokens.scope, 'openid email profile');
    assert.ok(tokens.idToken);
    const tokenRequest = op.requestsTo('token').at(-1);
    assert.ok(tokenRequest?.form?.get('code_verifier'));
    assert.equal(tokenRequest?.form?.get('redirect_uri'), REDIRECT_URI);
    assert.match(
      String(tokenRequest?.headers.authorization),
      /^Basic /,
      'client_secret_basic by default',
    );
    assert.equal(
      op.requestsTo('jwks').length > 0,
      true,
      'the signature was checked against the JWKS',
    );
  });

  it('fetches userinfo with the access token in the Authorization header only', async () => {
    const provider = makeProvider();
    const tokens = await exchange(provider, op, { userinfo: { name: 'Alice' } });
    const info = await provider.getUserInfo(tokens);
    assert.equal(info.sub, 'user-1');
    assert.equal(info.name, 'Alice');
    const request = op.requestsTo('userinfo').at(-1);
    assert.equal(request?.headers.authorization, `Bearer ${tokens.accessToken}`);
    assert.ok(!request?.query.toString().includes(tokens.accessToken));
    assert.ok(!request?.body.includes(tokens.accessToken));
  });

  it('rejects a userinfo response about another subject', async () => {
    const provider = makeProvider();
    const tokens = await exchange(provider, op, { userinfo: { sub: 'mallory' } });
    await rejectsWith(provider.getUserInfo(tokens), { code: 'validation_failed' });
  });

  it('requires a non-empty string sub in userinfo, even without an ID token', async () => {
    const provider = makeProvider();
    for (const sub of ['', undefined, 42]) {
      const tokens = await exchange(provider, op, { userinfo: { sub } });
      await rejectsWith(provider.getUserInfo(tokens), { code: 'validation_failed' });
      const { idToken: _dropped, ...withoutIdToken } = tokens;
      await rejectsWith(provider.getUserInfo(withoutIdToken), { code: 'validation_failed' });
    }
  });

  it('refreshes with rotation; a reused refresh token needs a new sign-in', async () => {
    const provider = makeProvider();
    const first = await exchange(provider, op);
    const second = await provider.refreshTokens(first.refreshToken as string, {
      idToken: first.idToken,
    });
    assert.notEqual(second.accessToken, first.accessToken);
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.ok(second.idToken, 'a new ID token came and was validated');
    const error = await rejectsWith(provider.refreshTokens(first.refreshToken as string), {
      class: TokenRefreshError,
      code: 'reauth_required',
      providerError: 'invalid_grant',
    });
    assert.match(error.message, /sign in again/);
  });

  it('rejects a refreshed ID token about another user', async () => {
    const provider = makeProvider();
    const first = await exchange(provider, op);
    const refreshToken = op.issueRefreshToken({ sub: 'mallory' });
    await rejectsWith(provider.refreshTokens(refreshToken, { idToken: first.idToken }), {
      class: TokenRefreshError,
      code: 'refresh_failed',
    });
  });

  it('maps a malformed refresh response to TokenRefreshError, never a half token set', async () => {
    const provider = makeProvider();
    const refreshToken = op.issueRefreshToken({ tokenResponse: { access_token: undefined } });
    await rejectsWith(provider.refreshTokens(refreshToken), {
      class: TokenRefreshError,
      code: 'refresh_failed',
    });
    const garbage = op.issueRefreshToken({ tokenResponse: { expires_in: 'soon' } });
    await rejectsWith(provider.refreshTokens(garbage), {
      class: TokenRefreshError,
      code: 'refresh_failed',
    });
  });

  it('revokes at the revocation endpoint, and builds an end-session URL', async () => {
    const provider = makeProvider();
    const tokens = await exchange(provider, op);
    assert.equal(await provider.revokeToken(tokens.refreshToken as string, 'refresh_token'), true);
    assert.equal(op.isRevoked(tokens.refreshToken as string), true);
    const request = op.requestsTo('revocation').at(-1);
    assert.equal(request?.form?.get('token_type_hint'), 'refresh_token');
    const logout = await provider.buildEndSessionUrl({
      idTokenHint: tokens.idToken,
      postLogoutRedirectUri: 'http://127.0.0.1:53682/',
      state: 'bye',
    });
    assert.equal(`${logout?.origin}${logout?.pathname}`, op.metadata.end_session_endpoint);
    assert.equal(logout?.searchParams.get('id_token_hint'), tokens.idToken);
    assert.equal(logout?.searchParams.get('state'), 'bye');
  });

  it('explicit endpoint URLs win over discovered ones', async () => {
    const provider = makeProvider({ authorizeUrl: 'https://login.example.com/oauth/authorize' });
    const url = await provider.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 's' });
    assert.equal(url.origin, 'https://login.example.com');
    assert.equal(url.pathname, '/oauth/authorize');
  });

  it('runs the device flow: pending, then tokens; abort and expiry end it', async () => {
    const provider = makeProvider();
    assert.equal(await provider.supportsDeviceFlow(), true);
    const device = await provider.startDeviceAuthorization();
    assert.equal(device.userCode, 'ABCD-EFGH');
    assert.match(device.verificationUri, /\/device-verify$/);
    const tokens = await device.poll();
    assert.match(tokens.accessToken, /^at-/);

    const cancelled = await provider.startDeviceAuthorization();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await rejectsWith(cancelled.poll(controller.signal), {
      class: AuthFlowCancelled,
      code: 'cancelled',
    });

    op.override('token', (request) =>
      request.form?.get('grant_type')?.endsWith('device_code')
        ? { status: 400, body: { error: 'expired_token' } }
        : undefined,
    );
    try {
      const expired = await provider.startDeviceAuthorization();
      await rejectsWith(expired.poll(), { class: AuthFlowTimeout, code: 'timeout' });
    } finally {
      op.override('token', null);
    }
  });

  it('honours an AbortSignal on the code exchange', async () => {
    const provider = makeProvider();
    op.override('token', () => ({ raw: () => {} })); // never answers
    try {
      const controller = new AbortController();
      const code = op.issueCode();
      const pending = provider.exchangeCode({
        callbackUrl: callbackUrl({ code, state: 's' }),
        redirectUri: REDIRECT_URI,
        expectedState: 's',
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 50);
      await rejectsWith(pending, { class: AuthFlowCancelled, code: 'cancelled' });
    } finally {
      op.override('token', null);
    }
  });

  it('bounds every request with timeoutSeconds (a token endpoint that trickles)', async () => {
    const provider = makeProvider({ timeoutSeconds: 1 });
    await provider.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 's' }); // discovery done
    op.override('token', () => ({
      raw: (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"access_token":');
        const timer = setInterval(() => res.write(' '), 200);
        res.on('close', () => clearInterval(timer));
      },
    }));
    try {
      const started = Date.now();
      const error = await rejectsWith(exchange(provider, op), { code: 'provider_unavailable' });
      assert.ok(Date.now() - started < 5000, 'gave up near the deadline');
      assert.match(error.message, /within 1 seconds/);
    } finally {
      op.override('token', null);
    }
  });

  it('rejects public http issuers at construction, accepts loopback ones', () => {
    assert.throws(
      () => new GenericOIDCProvider({ clientId: 'x', issuerUrl: 'http://auth.example.com' }),
      (error: unknown) =>
        error instanceof ConfigurationError &&
        /https/.test(error.message) &&
        error.code === 'invalid_configuration',
    );
    for (const issuerUrl of [
      'http://127.0.0.1:8080',
      'http://localhost:8080',
      'http://[::1]:8080',
    ]) {
      assert.doesNotThrow(() => new GenericOIDCProvider({ clientId: 'x', issuerUrl }));
    }
  });

  it('a public client (no secret) authenticates with its client id only', async () => {
    const publicOp = await startHostileProvider();
    try {
      const provider = new GenericOIDCProvider({
        clientId: publicOp.clientId,
        issuerUrl: publicOp.issuer,
      });
      await exchange(provider, publicOp);
      const request = publicOp.requestsTo('token').at(-1);
      assert.equal(request?.headers.authorization, undefined);
      assert.equal(request?.form?.get('client_id'), publicOp.clientId);
      assert.equal(request?.form?.get('client_secret'), null);
    } finally {
      await publicOp.close();
    }
  });
});

describe('GenericOIDCProvider discovery failures', () => {
  it('rejects metadata whose issuer differs from the configured one, naming it', async () => {
    const op = await startHostileProvider();
    try {
      op.metadata.issuer = 'https://evil.example.com';
      const provider = new GenericOIDCProvider({ clientId: op.clientId, issuerUrl: op.issuer });
      const error = await rejectsWith(
        provider.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 's' }),
        { code: 'discovery_failed' },
      );
      assert.match(error.message, /https:\/\/evil\.example\.com/);
      assert.equal(op.requestsTo('token').length, 0);
    } finally {
      await op.close();
    }
  });

  it('does not cache a failed discovery: the next call tries again', async () => {
    const op = await startHostileProvider();
    try {
      op.override('discovery', () => ({
        status: 503,
        headers: { 'content-type': 'text/html' },
        body: '<h1>down</h1>',
      }));
      const provider = new GenericOIDCProvider({ clientId: op.clientId, issuerUrl: op.issuer });
      await rejectsWith(provider.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 's' }), {
        code: 'discovery_failed',
      });
      op.override('discovery', null);
      const url = await provider.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 's' });
      assert.equal(url.searchParams.get('state'), 's');
      assert.equal(op.requestsTo('discovery').length, 2);
    } finally {
      await op.close();
    }
  });

  it('one caller aborting does not fail the discovery another caller waits for', async () => {
    const op = await startHostileProvider();
    try {
      op.override(
        'discovery',
        () => new Promise((resolve) => setTimeout(() => resolve(undefined), 300)),
      );
      const provider = new GenericOIDCProvider({ clientId: op.clientId, issuerUrl: op.issuer });
      const controller = new AbortController();
      const code = op.issueCode();
      const aborted = provider.exchangeCode({
        callbackUrl: callbackUrl({ code, state: 's' }),
        redirectUri: REDIRECT_URI,
        expectedState: 's',
        signal: controller.signal,
      });
      const waiting = provider.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 'w' });
      setTimeout(() => controller.abort(), 50);
      await rejectsWith(aborted, { class: AuthFlowCancelled, code: 'cancelled' });
      assert.equal((await waiting).searchParams.get('state'), 'w');
      assert.equal(op.requestsTo('discovery').length, 1);
      assert.equal(op.requestsTo('token').length, 0, 'the aborted exchange sent nothing');
    } finally {
      await op.close();
    }
  });

  it('maps an unreachable issuer to provider_unavailable', async () => {
    const op = await startHostileProvider();
    const issuerUrl = op.issuer;
    await op.close();
    const provider = new GenericOIDCProvider({ clientId: 'x', issuerUrl });
    const error = await rejectsWith(
      provider.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 's' }),
      {
        code: 'provider_unavailable',
      },
    );
    assert.ok(error instanceof AuthenticationError);
  });

  it('refuses metadata endpoints on non-loopback plain http', async () => {
    const op = await startHostileProvider();
    try {
      op.metadata.token_endpoint = 'http://attacker.example.com/token';
      const provider = new GenericOIDCProvider({ clientId: op.clientId, issuerUrl: op.issuer });
      const state = client.randomState();
      const code = op.issueCode();
      await rejectsWith(
        provider.exchangeCode({
          callbackUrl: callbackUrl({ code, state }),
          redirectUri: REDIRECT_URI,
          expectedState: state,
        }),
        { class: ConfigurationError, code: 'invalid_configuration' },
      );
    } finally {
      await op.close();
    }
  });
});
