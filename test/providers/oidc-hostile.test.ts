/**
 * GenericOIDCProvider.exchangeCode against a provider that lies: every forged or broken
 * ID token, authorization response or token response is rejected with the right class and
 * code, and no request follows the failure.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { type AuthenticationError, ConfigurationError } from '../../src/errors.js';
import { GenericOIDCProvider } from '../../src/providers/oidc.js';
import { MAX_EXPIRES_IN_SECONDS } from '../../src/providers/token-response.js';
import {
  type GrantSpec,
  type HostileProvider,
  type HostileRoute,
  startHostileProvider,
} from '../helpers/hostile-provider.js';
import { callbackUrl, exchange, REDIRECT_URI, rejectsWith } from './helpers.js';

let op: HostileProvider;
let provider: GenericOIDCProvider;

before(async () => {
  op = await startHostileProvider();
});
after(() => op.close());
beforeEach(() => {
  // A fresh provider per test: no JWKS or metadata cached across cases.
  provider = new GenericOIDCProvider({ clientId: op.clientId, issuerUrl: op.issuer });
  for (const route of ['token', 'userinfo', 'jwks', 'discovery'] as HostileRoute[]) {
    op.override(route, null);
  }
});

/** Exchanges with `grant`, expects `code`, and checks nothing was asked after the token request. */
async function rejectsExchange(
  grant: GrantSpec,
  code: 'validation_failed' | 'exchange_failed' | 'provider_unavailable' | 'provider_error',
  extraCallbackParams: Record<string, string> = {},
): Promise<AuthenticationError> {
  const error = await rejectsWith(exchange(provider, op, grant, extraCallbackParams), { code });
  const last = op.requests.at(-1);
  assert.ok(
    last?.route === 'token' || last?.route === 'jwks' || last?.route === 'discovery',
    `no request after the failure (last was ${last?.route})`,
  );
  assert.equal(op.requestsTo('userinfo').length, 0);
  return error;
}

describe('ID tokens that must be rejected', () => {
  it('bad signature: signed with a key not in the JWKS (RS256)', async () => {
    await rejectsExchange({ idToken: { key: 'foreign' } }, 'validation_failed');
  });

  it('bad signature: ES256 token with a tampered payload', async () => {
    const genuine = await op.signIdToken({ key: 'ec' });
    const [header, , signature] = genuine.split('.');
    const payload = Buffer.from(
      JSON.stringify({ iss: op.issuer, sub: 'admin', aud: op.clientId, iat: 1, exp: 9999999999 }),
    ).toString('base64url');
    await rejectsExchange(
      { idToken: { raw: `${header}.${payload}.${signature}` } },
      'validation_failed',
    );
  });

  it('HS256 signed with a guessable secret (the client id)', async () => {
    op.metadata.id_token_signing_alg_values_supported = ['RS256', 'ES256', 'HS256'];
    try {
      await rejectsExchange({ idToken: { alg: 'HS256' } }, 'validation_failed');
    } finally {
      op.metadata.id_token_signing_alg_values_supported = ['RS256', 'ES256'];
    }
  });

  it('alg none, even when the metadata advertises it', async () => {
    await rejectsExchange({ idToken: { alg: 'none' } }, 'validation_failed');
    op.metadata.id_token_signing_alg_values_supported = ['RS256', 'none'];
    try {
      provider = new GenericOIDCProvider({ clientId: op.clientId, issuerUrl: op.issuer });
      await rejectsExchange({ idToken: { alg: 'none' } }, 'validation_failed');
    } finally {
      op.metadata.id_token_signing_alg_values_supported = ['RS256', 'ES256'];
    }
  });

  it('an algorithm the provider does not advertise', async () => {
    op.metadata.id_token_signing_alg_values_supported = ['RS256'];
    try {
      await rejectsExchange({ idToken: { key: 'ec' } }, 'validation_failed');
    } finally {
      op.metadata.id_token_signing_alg_values_supported = ['RS256', 'ES256'];
    }
  });

  for (const [name, claims] of [
    ['wrong aud', { aud: 'another-client' }],
    ['aud missing', { aud: undefined }],
    ['several audiences without azp', { aud: ['hostile-client', 'another-client'] }],
    ['wrong iss', { iss: 'https://evil.example.com' }],
    ['iss missing', { iss: undefined }],
    ['sub missing', { sub: undefined }],
    ['sub not a string', { sub: 42 }],
    ['expired', { exp: Math.floor(Date.now() / 1000) - 3600 }],
    ['exp missing', { exp: undefined }],
    ['exp a string', { exp: '9999999999' }],
    ['iat missing', { iat: undefined }],
    ['iat a week old', { iat: Math.floor(Date.now() / 1000) - 7 * 24 * 3600 }],
    ['iat in the future', { iat: Math.floor(Date.now() / 1000) + 3600 }],
    ['nbf in the future', { nbf: Math.floor(Date.now() / 1000) + 3600 }],
    ['wrong nonce', { nonce: 'attacker-nonce' }],
    ['nonce missing though sent', { nonce: undefined }],
    ['nonce null (a claim trying to switch the check off)', { nonce: null }],
  ] as const) {
    it(name, async () => {
      await rejectsExchange(
        { idToken: { claims: claims as Record<string, unknown> } },
        'validation_failed',
      );
    });
  }

  it('malformed JWTs: extra segments, non-JSON header, array payload', async () => {
    const genuine = await op.signIdToken();
    const [header, payload, signature] = genuine.split('.');
    const arrayPayload = Buffer.from('[1,2,3]').toString('base64url');
    for (const raw of [
      `${genuine}.extra`,
      `${Buffer.from('not json').toString('base64url')}.${payload}.${signature}`,
      `${header}.${arrayPayload}.${signature}`,
      'x'.repeat(200_000),
    ]) {
      await rejectsExchange({ idToken: { raw } }, 'validation_failed');
    }
  });

  it('no kid while several keys match: a forged token still fails', async () => {
    const extra = await generateKeyPair('RS256', { extractable: true });
    op.jwks.keys.push({
      ...(await exportJWK(extra.publicKey)),
      alg: 'RS256',
      use: 'sig',
      kid: 'rsa-2',
    });
    try {
      await rejectsExchange({ idToken: { key: 'foreign', kid: null } }, 'validation_failed');
      provider = new GenericOIDCProvider({ clientId: op.clientId, issuerUrl: op.issuer });
      await rejectsExchange({ idToken: { kid: null } }, 'validation_failed');
    } finally {
      op.jwks.keys.pop();
    }
  });

  it('a genuine token with the expected claims is accepted (control case)', async () => {
    const tokens = await exchange(provider, op, { idToken: { key: 'ec' } });
    assert.ok(tokens.idToken);
  });

  it('auth_time missing or stale when maxAge is set', async () => {
    provider = new GenericOIDCProvider({ clientId: op.clientId, issuerUrl: op.issuer, maxAge: 60 });
    const url = await provider.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 's' });
    assert.equal(url.searchParams.get('max_age'), '60');
    await rejectsExchange({ idToken: { claims: { auth_time: undefined } } }, 'validation_failed');
    await rejectsExchange(
      { idToken: { claims: { auth_time: Math.floor(Date.now() / 1000) - 3600 } } },
      'validation_failed',
    );
    assert.ok((await exchange(provider, op)).idToken, 'fresh auth_time accepted');
  });
});

describe('authorization responses that must be rejected', () => {
  it('mix-up: an iss parameter naming another issuer', async () => {
    await rejectsExchange({}, 'validation_failed', { iss: 'https://evil.example.com' });
    assert.equal(op.requestsTo('token').length > 0, true);
  });

  it('mix-up: iss stripped while the provider advertises RFC 9207', async () => {
    op.metadata.authorization_response_iss_parameter_supported = true;
    try {
      const tokenRequests = op.requestsTo('token').length;
      await rejectsWith(exchange(provider, op), { code: 'validation_failed' });
      assert.equal(op.requestsTo('token').length, tokenRequests, 'no code exchange attempted');
      const tokens = await exchange(provider, op, {}, { iss: op.issuer });
      assert.ok(tokens.accessToken, 'the right iss is accepted');
    } finally {
      delete op.metadata.authorization_response_iss_parameter_supported;
    }
  });

  it('wrong, missing or duplicated state; empty code; tokens injected into the callback', async () => {
    const tokenRequests = op.requestsTo('token').length;
    const cases: Record<string, string>[] = [
      { code: op.issueCode(), state: 'forged' },
      { code: op.issueCode() },
      { code: '', state: 'real' },
    ];
    for (const params of cases) {
      await rejectsWith(
        provider.exchangeCode({
          callbackUrl: callbackUrl(params),
          redirectUri: REDIRECT_URI,
          expectedState: 'real',
        }),
        { code: 'validation_failed' },
      );
    }
    const duplicated = callbackUrl({ code: op.issueCode(), state: 'real' });
    duplicated.searchParams.append('state', 'real');
    const injected = callbackUrl({
      code: op.issueCode(),
      state: 'real',
      access_token: 'at-injectedinjectedinjected',
    });
    const injectedIdToken = callbackUrl({
      code: op.issueCode(),
      state: 'real',
      id_token: await op.signIdToken(),
    });
    for (const url of [duplicated, injected, injectedIdToken]) {
      await rejectsWith(
        provider.exchangeCode({
          callbackUrl: url,
          redirectUri: REDIRECT_URI,
          expectedState: 'real',
        }),
        { code: 'validation_failed' },
      );
    }
    assert.equal(op.requestsTo('token').length, tokenRequests, 'no code was exchanged');
  });

  it('error= with the right state: provider_error carrying a sanitised description', async () => {
    const error = await rejectsWith(
      provider.exchangeCode({
        callbackUrl: callbackUrl({
          error: 'access_denied',
          error_description:
            '<script>alert(1)</script>\u0000 "quoted" \\ and a very long tail'.padEnd(400, '!'),
          state: 'real',
        }),
        redirectUri: REDIRECT_URI,
        expectedState: 'real',
      }),
      { code: 'provider_error', providerError: 'access_denied' },
    );
    assert.ok((error.providerErrorDescription ?? '').length <= 200);
    assert.match(error.providerErrorDescription ?? '', /^[\x20-\x7e]*$/, 'printable ASCII only');
    assert.doesNotMatch(error.providerErrorDescription ?? '', /["\\]/);
  });

  it('error= with a wrong state is a validation failure, not the provider speaking', async () => {
    await rejectsWith(
      provider.exchangeCode({
        callbackUrl: callbackUrl({ error: 'access_denied', state: 'forged' }),
        redirectUri: REDIRECT_URI,
        expectedState: 'real',
      }),
      { code: 'validation_failed' },
    );
  });

  it('PKCE: a wrong verifier is refused by the provider (exchange_failed, invalid_grant)', async () => {
    const code = op.issueCode({ codeChallenge: 'x'.repeat(43) });
    await rejectsWith(
      provider.exchangeCode({
        callbackUrl: callbackUrl({ code, state: 's' }),
        redirectUri: REDIRECT_URI,
        expectedState: 's',
        codeVerifier: 'y'.repeat(43),
      }),
      { code: 'exchange_failed', providerError: 'invalid_grant' },
    );
  });
});

describe('token endpoint garbage', () => {
  const reply = (status: number, body: unknown, contentType?: string) => () => ({
    status,
    body,
    ...(contentType ? { headers: { 'content-type': contentType } } : {}),
  });

  for (const [name, handler, code] of [
    ['an HTML body', reply(200, '<html>hello</html>', 'text/html'), 'provider_unavailable'],
    [
      'JSON with a wrong content type',
      reply(200, 'not json at all', 'application/json'),
      'provider_unavailable',
    ],
    [
      'a top-level array',
      reply(200, [{ access_token: 'at-arrayarrayarrayarray' }]),
      'provider_unavailable',
    ],
    ['a top-level null', reply(200, null), 'provider_unavailable'],
    ['500 with HTML', reply(500, '<h1>oops</h1>', 'text/html'), 'provider_unavailable'],
    ['401 without details', reply(401, '', 'text/plain'), 'exchange_failed'],
  ] as const) {
    it(name, async () => {
      op.override('token', handler);
      await rejectsExchange({}, code);
      assert.equal(op.requestsTo('token').length > 0, true);
    });
  }

  it('400 invalid_grant: exchange_failed with the provider error, no retry', async () => {
    op.override('token', reply(400, { error: 'invalid_grant', error_description: 'code expired' }));
    const before = op.requestsTo('token').length;
    const error = await rejectsExchange({}, 'exchange_failed');
    assert.equal(error.providerError, 'invalid_grant');
    assert.equal(error.providerErrorDescription, 'code expired');
    assert.equal(op.requestsTo('token').length, before + 1, 'exactly one token request');
  });

  for (const [name, tokenResponse] of [
    ['access_token missing', { access_token: undefined }],
    ['access_token not a string', { access_token: 12345 }],
    ['token_type missing', { token_type: undefined }],
    ['token_type empty', { token_type: '' }],
    ['token_type mac', { token_type: 'mac' }],
    ['token_type DPoP (not used here)', { token_type: 'DPoP' }],
    ['expires_in negative', { expires_in: -5 }],
    ['expires_in fractional', { expires_in: 3.5 }],
    ['expires_in "12abc"', { expires_in: '12abc' }],
    ['expires_in an object', { expires_in: { seconds: 60 } }],
    ['refresh_token not a string', { refresh_token: { nested: true } }],
  ] as const) {
    it(name, async () => {
      await rejectsExchange(
        { tokenResponse: tokenResponse as Record<string, unknown> },
        'exchange_failed',
      );
    });
  }

  it('openid requested but no id_token', async () => {
    await rejectsExchange({ idToken: false }, 'validation_failed');
  });

  it('accepts BEARER in any case, digit-string and missing expires_in, rejects a huge one', async () => {
    const lower = await exchange(provider, op, {
      tokenResponse: { token_type: 'bearer', expires_in: '60' },
    });
    assert.equal(lower.tokenType, 'Bearer');
    assert.equal(lower.expiresIn, 60);
    const none = await exchange(provider, op, { tokenResponse: { expires_in: undefined } });
    assert.equal(none.expiresIn, undefined);
    assert.equal(none.expiresAt, undefined);
    const longest = await exchange(provider, op, {
      tokenResponse: { expires_in: MAX_EXPIRES_IN_SECONDS },
    });
    assert.equal(longest.expiresAt, longest.issuedAt + MAX_EXPIRES_IN_SECONDS);
    await rejectsExchange({ tokenResponse: { expires_in: 9e15 } }, 'exchange_failed');
    await rejectsExchange({ tokenResponse: { expires_in: 1e300 } }, 'exchange_failed');
  });

  it('an oversized response is cut off', async () => {
    op.override(
      'token',
      reply(200, { access_token: 'a'.repeat(2 * 1024 * 1024), token_type: 'Bearer' }),
    );
    await rejectsExchange({}, 'provider_unavailable');
  });
});

describe('redirect URI handling', () => {
  it('refuses a redirect URI with a query string (openid-client would drop it)', async () => {
    await assert.rejects(
      provider.exchangeCode({
        callbackUrl: callbackUrl({ code: 'c', state: 's' }),
        redirectUri: `${REDIRECT_URI}?x=1`,
        expectedState: 's',
      }),
      ConfigurationError,
    );
  });
});
