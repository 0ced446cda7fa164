/**
 * Issue 8 §5, "providers we did not write": client_secret_basic encoding, a bodiless 400 on
 * refresh, and a refused revocation. Each case is a named test that failed before its fix.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { OAuth2Server } from 'oauth2-mock-server';
import * as client from 'openid-client';
import { TokenRefreshError } from '../../src/errors.js';
import { formEncodeCredential } from '../../src/providers/client-auth.js';
import { GenericOIDCProvider } from '../../src/providers/oidc.js';
import { SessionManager } from '../../src/session/session-manager.js';
import { MemoryTokenStore } from '../../src/stores/memory.js';
import { startDevProvider } from '../helpers/dev-provider.js';
import { type HostileProvider, startHostileProvider } from '../helpers/hostile-provider.js';
import { assertNoSecrets, REDIRECT_URI, rejectsWith } from './helpers.js';

/** A client id and secret made of RFC 3986 unreserved characters only, `-` `.` `_` `~` included. */
const UNRESERVED_ID = 'my-app.v2_native~1';
const UNRESERVED_SECRET = 's3-cr.et_~XYZ';
/**
 * Characters that must be encoded: space, `:`, `%`, `+`, `/`, `@`, `!`, `*`, `'`, `(`, `)`.
 * (RFC 6749 Appendix A limits ids and secrets to printable ASCII, so nothing beyond.)
 */
const AWKWARD_ID = 'web app:1/%+@';
const AWKWARD_SECRET = "p@ss:w%rd+/ !*'()";

/** Decodes the `Authorization: Basic` header of the token requests a provider sends. */
function recordingFetch(seen: string[]): typeof fetch {
  return (input, init) => {
    const header = new Headers(init?.headers).get('authorization');
    if (header?.startsWith('Basic ')) seen.push(atob(header.slice(6)));
    return fetch(input, init);
  };
}

describe('issue 8 §5: client_secret_basic credentials are form-encoded per RFC 6749 §2.3.1', () => {
  it('formEncodeCredential keeps A-Z a-z 0-9 - . _ ~ and percent-encodes everything else', () => {
    assert.equal(formEncodeCredential(UNRESERVED_ID), UNRESERVED_ID);
    assert.equal(formEncodeCredential('a b:c%d+e/f@g'), 'a%20b%3Ac%25d%2Be%2Ff%40g');
    assert.equal(formEncodeCredential("!*'()"), '%21%2A%27%28%29');
    assert.equal(formEncodeCredential('é'), '%C3%A9');
    for (const value of [UNRESERVED_SECRET, AWKWARD_ID, AWKWARD_SECRET]) {
      assert.equal(decodeURIComponent(formEncodeCredential(value)), value);
    }
  });

  it('an id and secret with - . _ ~ reach oauth2-mock-server as they are (its ID token aud is the Basic user name)', async () => {
    const mock = new OAuth2Server();
    await mock.issuer.keys.generate('RS256');
    await mock.start(0, '127.0.0.1');
    try {
      const seen: string[] = [];
      const provider = new GenericOIDCProvider({
        clientId: UNRESERVED_ID,
        clientSecret: UNRESERVED_SECRET,
        issuerUrl: mock.issuer.url as string,
        fetch: recordingFetch(seen),
      });
      const state = client.randomState();
      const nonce = client.randomNonce();
      const verifier = client.randomPKCECodeVerifier();
      const authorize = await provider.buildAuthorizeUrl({
        redirectUri: REDIRECT_URI,
        state,
        nonce,
        codeChallenge: await client.calculatePKCECodeChallenge(verifier),
      });
      const redirect = await fetch(authorize, { redirect: 'manual' });
      const location = redirect.headers.get('location') ?? '';
      assert.ok(location.startsWith(REDIRECT_URI), 'the mock redirects back with a code');
      // Before the fix the ID token's aud was "my%2Dapp%2Ev2%5Fnative%7E1": validation_failed.
      const tokens = await provider.exchangeCode({
        callbackUrl: new URL(location),
        redirectUri: REDIRECT_URI,
        expectedState: state,
        expectedNonce: nonce,
        codeVerifier: verifier,
      });
      assert.ok(tokens.idToken);
      assert.deepEqual(seen, [`${UNRESERVED_ID}:${UNRESERVED_SECRET}`]);
    } finally {
      await mock.stop();
    }
  });

  it('ids and secrets with characters that must be encoded authenticate at oidc-provider, which decodes', async () => {
    const clients = [
      [UNRESERVED_ID, UNRESERVED_SECRET],
      [AWKWARD_ID, AWKWARD_SECRET],
    ] as const;
    const dev = await startDevProvider({
      clients: clients.map(([id, secret]) => ({
        client_id: id,
        client_secret: secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
      })),
    });
    try {
      for (const [id, secret] of clients) {
        const seen: string[] = [];
        const provider = new GenericOIDCProvider({
          clientId: id,
          clientSecret: secret,
          issuerUrl: dev.issuer,
          fetch: recordingFetch(seen),
        });
        // oidc-provider authenticates the client before it looks at the token: a wrong
        // encoding answers 401 invalid_client, a right one 200 for an unknown token.
        assert.equal(await provider.revokeToken('not-a-real-token'), true);
        assert.deepEqual(seen, [`${formEncodeCredential(id)}:${formEncodeCredential(secret)}`]);
        const wrong = new GenericOIDCProvider({
          clientId: id,
          clientSecret: `${secret}x`,
          issuerUrl: dev.issuer,
        });
        await rejectsWith(wrong.revokeToken('not-a-real-token'), { code: 'provider_error' });
      }
    } finally {
      await dev.close();
    }
  });
});

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('issue 8 §5: refresh failures, rejected or transient', () => {
  let op: HostileProvider;
  before(async () => {
    op = await startHostileProvider();
  });
  after(() => op.close());

  async function refreshThroughManager(reply: Parameters<HostileProvider['override']>[1]) {
    op.override('token', reply);
    const provider = new GenericOIDCProvider({ clientId: op.clientId, issuerUrl: op.issuer });
    const reauth: TokenRefreshError[] = [];
    const manager = new SessionManager({
      provider,
      tokenStore: new MemoryTokenStore(),
      backgroundRefresh: false,
      onReauthRequired: (error) => reauth.push(error),
    });
    await manager.saveTokens({
      accessToken: 'at-placeholderplaceholder',
      tokenType: 'Bearer',
      refreshToken: op.issueRefreshToken(),
      issuedAt: Math.floor(Date.now() / 1000) - 60,
      expiresAt: Math.floor(Date.now() / 1000) - 1,
    });
    try {
      const error = await manager.refresh().then(
        () => assert.fail('the refresh should have failed'),
        (failure: unknown) => failure,
      );
      assert.ok(error instanceof TokenRefreshError, `expected a TokenRefreshError: ${error}`);
      assertNoSecrets(error.message);
      return { error, reauth };
    } finally {
      manager.dispose();
      op.override('token', null);
    }
  }

  it('a refresh answered 400 with no body is a rejected refresh token: reauth_required, onReauthRequired called', async () => {
    const { error, reauth } = await refreshThroughManager(() => ({ status: 400, body: '' }));
    assert.ok(error instanceof TokenRefreshError);
    assert.equal(error.code, 'reauth_required');
    assert.equal(reauth.length, 1);
    assert.equal(reauth[0]?.code, 'reauth_required');
  });

  it('a refresh answered 400 with an HTML body is a rejected refresh token too', async () => {
    const { error, reauth } = await refreshThroughManager(() => ({
      status: 400,
      headers: { 'content-type': 'text/html' },
      body: '<html><body>Bad Request</body></html>',
    }));
    assert.ok(error instanceof TokenRefreshError);
    assert.equal(error.code, 'reauth_required');
    assert.equal(reauth.length, 1);
  });

  it('5xx, with or without a body, stays transient: refresh_failed, onReauthRequired not called', async () => {
    for (const reply of [
      { status: 500, body: '' },
      { status: 503, body: { error: 'temporarily_unavailable' } },
      { status: 502, headers: { 'content-type': 'text/html' }, body: '<html></html>' },
    ]) {
      const { error, reauth } = await refreshThroughManager(() => reply);
      assert.ok(error instanceof TokenRefreshError);
      assert.equal(error.code, 'refresh_failed', `HTTP ${reply.status}`);
      assert.equal(reauth.length, 0);
    }
  });

  it('a network failure stays transient: refresh_failed', async () => {
    const port = await closedPort();
    const provider = new GenericOIDCProvider({
      clientId: op.clientId,
      issuerUrl: op.issuer,
      tokenUrl: `http://127.0.0.1:${port}/token`,
    });
    await rejectsWith(provider.refreshTokens(op.issueRefreshToken()), {
      class: TokenRefreshError,
      code: 'refresh_failed',
    });
  });

  it('invalid_grant in a JSON body is still reauth_required', async () => {
    const provider = new GenericOIDCProvider({ clientId: op.clientId, issuerUrl: op.issuer });
    await rejectsWith(provider.refreshTokens('rt-unknownunknownunknownunknown'), {
      class: TokenRefreshError,
      code: 'reauth_required',
    });
  });
});

describe('issue 8 §5: a refused revocation is provider_error, an unreachable one provider_unavailable', () => {
  let op: HostileProvider;
  before(async () => {
    op = await startHostileProvider();
  });
  after(() => op.close());

  for (const status of [401, 403]) {
    it(`a revocation answered ${status} (no body) is provider_error`, async () => {
      op.override('revocation', () => ({ status, body: '' }));
      try {
        const provider = new GenericOIDCProvider({ clientId: op.clientId, issuerUrl: op.issuer });
        await rejectsWith(provider.revokeToken('at-somesomesomesomesome'), {
          code: 'provider_error',
        });
      } finally {
        op.override('revocation', null);
      }
    });
  }

  it('a revocation answered 503 or 429 is provider_unavailable', async () => {
    for (const status of [503, 429]) {
      op.override('revocation', () => ({ status, body: '' }));
      try {
        const provider = new GenericOIDCProvider({ clientId: op.clientId, issuerUrl: op.issuer });
        await rejectsWith(provider.revokeToken('at-somesomesomesomesome'), {
          code: 'provider_unavailable',
        });
      } finally {
        op.override('revocation', null);
      }
    }
  });
});
