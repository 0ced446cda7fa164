/**
 * Issue 5, native mode, at flow level: AuthFlowManager.runNative against a provider that lies
 * (test/helpers/hostile-provider.ts). Every forged authorization response, ID token, token
 * response or userinfo answer must end the flow with a typed error, show the browser a failure
 * page without secrets, store nothing (neither in the token store nor through the session
 * manager) and send no further request to the provider.
 *
 * Ids: AR = authorization response, IDT = ID token, TOK = token endpoint, UI = userinfo.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { AuthFlowCancelled, AuthFlowTimeout, ConfigurationError } from '../../src/errors.js';
import { MAX_EXPIRES_IN_SECONDS } from '../../src/providers/token-response.js';
import { assertNoSecrets, type GrantSpec, type HostileReply } from '../helpers/hostile-provider.js';
import { useHostileProvider } from './support/hostile-fixture.js';
import {
  assertRejected,
  assertStoppedAfterToken,
  nativeRig,
  type RawResponse,
  runScripted,
  tryConnect,
  type WindowRun,
} from './support/native-harness.js';
import { deliver, deliverWith, expectRefused, expectSignedIn } from './support/native-hostile.js';

const hostile = useHostileProvider();
const now = () => Math.floor(Date.now() / 1000);

/** Delivers a callback for `grant` and expects the flow refused with `code`. */
async function refuses(
  grant: GrantSpec,
  code: 'validation_failed' | 'exchange_failed' | 'provider_unavailable' | 'discovery_failed',
  options: { extra?: Record<string, string>; tokenRequests?: number } = {},
) {
  const delivered = await deliver(hostile(), grant, options.extra);
  return expectRefused(delivered, code, options.tokenRequests ?? 1);
}

/** A refused-for-good flow: the callback was refused and the flow kept waiting until cancelled. */
async function refusedThenCancelled(callback: (window: WindowRun) => URL, expectedStatus = 400) {
  const op = hostile();
  const rig = nativeRig(op);
  const since = op.requests.length;
  let response: RawResponse | undefined;
  let waiting = false;
  const run = await runScripted(rig, async (window) => {
    response = await window.visit(callback(window));
    // Give a (wrong) rejection time to land before looking.
    await new Promise((resolve) => setTimeout(resolve, 50));
    waiting = rig.manager.flowState === 'in_progress';
    rig.manager.cancel();
  });
  assert.ok(response);
  assert.equal(response.status, expectedStatus);
  assert.equal(waiting, true, 'the flow kept waiting for the real callback');
  await assertRejected(rig, run, { code: 'cancelled', class: AuthFlowCancelled });
  assertStoppedAfterToken(op, since, 0);
  return response;
}

describe('authorization response', () => {
  it('AR-01 a wrong state is refused (400), its code never exchanged, and the flow keeps waiting', async () => {
    const response = await refusedThenCancelled((window) => {
      const url = window.callbackWith({ sub: 'mallory' });
      url.searchParams.set('state', 'attacker-state-0123456789abcdefghij');
      return url;
    });
    assert.match(response.body, /does not belong to the sign-in in progress/);
  });

  it('AR-02 a missing state is refused (400) and the flow keeps waiting', async () => {
    await refusedThenCancelled((window) => {
      const url = window.callbackWith({ sub: 'mallory' });
      url.searchParams.delete('state');
      return url;
    });
  });

  it("AR-03 a replayed callback (an earlier flow's state and code) is refused in the next flow", async () => {
    const op = hostile();
    const first = await deliver(op);
    await expectSignedIn(first);
    const old = first.run.authorize;
    const oldCode = op.requestsTo('token').at(-1)?.form?.get('code');
    assert.ok(old && oldCode);
    // The first flow's server is gone: the replay cannot reach it...
    assert.equal(await tryConnect('127.0.0.1', old.port), 'ECONNREFUSED');
    // ...and the next flow's server refuses it.
    await refusedThenCancelled((window) => {
      const replay = new URL(window.redirectUri);
      replay.searchParams.set('code', oldCode);
      replay.searchParams.set('state', old.state);
      return replay;
    });
  });

  it('AR-04 mix-up: an iss parameter naming another issuer is refused before any code exchange', async () => {
    await refuses({}, 'validation_failed', {
      extra: { iss: 'https://evil.example.com' },
      tokenRequests: 0,
    });
  });

  it('AR-05 mix-up: iss stripped while the provider advertises RFC 9207 is refused; the right iss is accepted', async () => {
    const op = hostile();
    op.metadata.authorization_response_iss_parameter_supported = true;
    await refuses({}, 'validation_failed', { tokenRequests: 0 });
    await expectSignedIn(await deliver(op, {}, { iss: op.issuer }));
  });

  it("AR-06 error= with the right state ends the flow as the provider's error, its markup escaped on the page", async () => {
    const op = hostile();
    const rig = nativeRig(op);
    const since = op.requests.length;
    let page: RawResponse | undefined;
    const markup = '<script>alert(1)</script><img src=x onerror=alert(2)> "q" \'a\'';
    const run = await runScripted(rig, async (window) => {
      const url = new URL(window.redirectUri);
      url.searchParams.set('error', 'access_denied');
      url.searchParams.set('error_description', markup);
      url.searchParams.set('state', window.state);
      page = await window.visit(url);
    });
    const error = await assertRejected(rig, run, { code: 'provider_error' });
    assert.equal(error.providerError, 'access_denied');
    assert.ok(page);
    assert.equal(page.status, 400);
    assert.match(page.body, /Sign-in refused/);
    assert.match(page.body, /access_denied/);
    assert.match(page.body, /&#60;script&#62;alert\(1\)&#60;&#47;script&#62;/, 'shown, escaped');
    assert.doesNotMatch(page.body, /<script|<img|onerror=/i);
    assert.doesNotMatch(page.body.replace(/<[^>]*>/g, ''), /["']/, 'no raw quotes in the text');
    assertStoppedAfterToken(op, since, 0);
  });

  it("AR-07 error= with a wrong state is a refused callback, not the provider's word: the flow keeps waiting", async () => {
    const response = await refusedThenCancelled((window) => {
      const url = new URL(window.redirectUri);
      url.searchParams.set('error', 'access_denied');
      url.searchParams.set('error_description', '<b>Your account is locked, call +1 555</b>');
      url.searchParams.set('state', 'forged');
      return url;
    });
    assert.doesNotMatch(response.body, /access_denied|account is locked|<b>/);
  });

  it('AR-08 duplicated parameters: two states are refused (400); two codes or two iss fail before any exchange', async () => {
    await refusedThenCancelled((window) => {
      const url = window.callbackWith();
      url.searchParams.append('state', window.state);
      return url;
    });
    const op = hostile();
    const twoCodes = await deliverWith(op, (window) => {
      const url = window.callbackWith();
      url.searchParams.append('code', window.callbackWith().searchParams.get('code') ?? '');
      return url;
    });
    await expectRefused(twoCodes, 'validation_failed', 0);
    const twoIss = await deliverWith(op, (window) => {
      const url = window.callbackWith();
      url.searchParams.append('iss', op.issuer);
      url.searchParams.append('iss', op.issuer);
      return url;
    });
    await expectRefused(twoIss, 'validation_failed', 0);
    // Control: one right iss is accepted.
    await expectSignedIn(await deliver(op, {}, { iss: op.issuer }));
  });

  it('AR-09 an empty code is refused before any token request', async () => {
    const delivered = await deliverWith(hostile(), (window) => {
      const url = window.callbackWith();
      url.searchParams.set('code', '');
      return url;
    });
    await expectRefused(delivered, 'validation_failed', 0);
  });

  for (const [id, param] of [
    ['a', 'access_token'],
    ['b', 'id_token'],
    ['c', 'refresh_token'],
    ['d', 'token'],
  ] as const) {
    it(`AR-10${id} tokens injected into a code-flow callback (${param}) are refused, nothing exchanged`, async () => {
      const injected =
        param === 'id_token'
          ? await hostile().signIdToken({ claims: { sub: 'mallory' } })
          : `at-injected-${'x'.repeat(24)}`;
      await refuses({}, 'validation_failed', { extra: { [param]: injected }, tokenRequests: 0 });
    });
  }

  it('AR-11 downgrade: PKCE is always S256, even when the metadata offers only plain or nothing', async () => {
    const op = hostile();
    for (const methods of [['plain'], undefined, ['plain', 'S256']]) {
      if (methods === undefined) delete op.metadata.code_challenge_methods_supported;
      else op.metadata.code_challenge_methods_supported = methods;
      const delivered = await deliver(op);
      await expectSignedIn(delivered);
      const authorize = delivered.run.authorize;
      assert.ok(authorize);
      assert.equal(authorize.codeChallengeMethod, 'S256');
      assert.equal(authorize.url.searchParams.get('response_type'), 'code');
      assert.equal(authorize.url.searchParams.has('response_mode'), false);
      const verifier = op.requestsTo('token').at(-1)?.form?.get('code_verifier') ?? '';
      assert.equal(
        createHash('sha256').update(verifier).digest('base64url'),
        authorize.codeChallenge,
        'the challenge is the S256 of the verifier sent',
      );
      assert.notEqual(verifier, authorize.codeChallenge, 'never the plain verifier');
    }
  });

  it('AR-12 downgrade: protocol parameters cannot be overridden through extraAuthorizeParams', async () => {
    for (const [key, value] of [
      ['code_challenge_method', 'plain'],
      ['response_type', 'token'],
      ['response_mode', 'fragment'],
      ['state', 'fixed'],
      ['nonce', 'fixed'],
      ['redirect_uri', 'https://evil.example.com/cb'],
    ] as const) {
      const rig = nativeRig(hostile());
      const run = await runScripted(rig, async () => {}, {
        extraAuthorizeParams: { [key]: value },
      });
      await assertRejected(rig, run, { code: 'invalid_configuration', class: ConfigurationError });
      assert.equal(run.windowsOpened, 0, `no window opened for ${key}`);
    }
  });

  it('AR-13 state, nonce and PKCE verifier carry at least 128 bits and differ across runs', async () => {
    const op = hostile();
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const delivered = await deliver(op);
      await expectSignedIn(delivered);
      const authorize = delivered.run.authorize;
      assert.ok(authorize);
      const verifier = op.requestsTo('token').at(-1)?.form?.get('code_verifier') ?? '';
      for (const value of [authorize.state, authorize.nonce ?? '', verifier]) {
        assert.match(value, /^[A-Za-z0-9_-]+$/, 'base64url');
        assert.ok(Buffer.from(value, 'base64url').length >= 16, `≥ 128 bits: ${value.length}`);
        assert.equal(seen.has(value), false, 'never repeated');
        seen.add(value);
      }
    }
    assert.equal(seen.size, 9);
  });
});

describe('ID token (flow level: runNative rejects, nothing stored)', () => {
  const cases: [string, string, Record<string, unknown>][] = [
    ['IDT-01', 'iss wrong', { iss: 'https://evil.example.com' }],
    ['IDT-02', 'iss missing', { iss: undefined }],
    ['IDT-03', 'aud wrong', { aud: 'another-client' }],
    ['IDT-04', 'aud missing', { aud: undefined }],
    ['IDT-05', 'sub missing', { sub: undefined }],
    ['IDT-06', 'iat missing', { iat: undefined }],
    ['IDT-07', 'iat a week old', { iat: now() - 7 * 24 * 3600 }],
    ['IDT-08', 'nbf in the future', { nbf: now() + 3600 }],
    ['IDT-09', 'exp passed beyond the clock skew', { exp: now() - 120 }],
    ['IDT-10', 'exp missing', { exp: undefined }],
    ['IDT-11', 'nonce wrong', { nonce: 'attacker-nonce' }],
    ['IDT-12', 'nonce missing though sent', { nonce: undefined }],
    ['IDT-13a', 'a claim switching the nonce check off (nonce: null)', { nonce: null }],
    ['IDT-13b', 'a claim switching the expiry check off (exp: null)', { exp: null }],
    [
      'IDT-13c',
      'several audiences with another azp',
      { aud: ['hostile-client', 'other'], azp: 'other' },
    ],
    ['IDT-13d', 'sub not a string', { sub: 42 }],
    ['IDT-24', 'iat in the future', { iat: now() + 3600 }],
  ];
  for (const [id, name, claims] of cases) {
    it(`${id} ${name}`, async () => {
      await refuses({ idToken: { claims } }, 'validation_failed');
    });
  }

  it('IDT-09b exp just inside the small clock skew is accepted (control)', async () => {
    await expectSignedIn(await deliver(hostile(), { idToken: { claims: { exp: now() - 5 } } }));
  });

  it('IDT-14 bad signature, RS256: signed by a key not in the JWKS under a published kid', async () => {
    await refuses({ idToken: { key: 'foreign', kid: 'rsa-1' } }, 'validation_failed');
  });

  it('IDT-15 bad signature, ES256: a genuine token with its payload swapped', async () => {
    const op = hostile();
    const delivered = await deliverWith(op, async (window) => {
      const genuine = await op.signIdToken({ key: 'ec' }, { nonce: window.nonce });
      const [header, , signature] = genuine.split('.');
      const forged = Buffer.from(
        JSON.stringify({
          iss: op.issuer,
          sub: 'admin',
          aud: op.clientId,
          iat: now(),
          exp: now() + 300,
          nonce: window.nonce,
        }),
      ).toString('base64url');
      return window.callbackWith({ idToken: { raw: `${header}.${forged}.${signature}` } });
    });
    await expectRefused(delivered, 'validation_failed', 1);
  });

  it('IDT-16 HS256 signed with the client id as secret, even when the metadata advertises HS256', async () => {
    const op = hostile();
    op.metadata.id_token_signing_alg_values_supported = ['RS256', 'ES256', 'HS256'];
    await refuses({ idToken: { alg: 'HS256' } }, 'validation_failed');
  });

  it('IDT-17 alg none, also when advertised', async () => {
    await refuses({ idToken: { alg: 'none' } }, 'validation_failed');
    hostile().metadata.id_token_signing_alg_values_supported = ['none', 'RS256'];
    await refuses({ idToken: { alg: 'none' } }, 'validation_failed');
  });

  it('IDT-18 an algorithm the provider does not advertise (ES256 when only RS256 is)', async () => {
    hostile().metadata.id_token_signing_alg_values_supported = ['RS256'];
    await refuses({ idToken: { key: 'ec' } }, 'validation_failed');
  });

  it('IDT-19 no kid while several keys match: a forged signature fails', async () => {
    const op = hostile();
    const extra = await generateKeyPair('RS256', { extractable: true });
    op.jwks.keys.push({ ...(await exportJWK(extra.publicKey)), alg: 'RS256', kid: 'rsa-2' });
    await refuses({ idToken: { key: 'foreign', kid: null } }, 'validation_failed');
  });

  it('IDT-20 a genuine key rotation is accepted: a new key (new kid) replaces the cached one', async () => {
    const op = hostile();
    const rig = nativeRig(op);
    // The first sign-in caches the JWKS (rsa-1, ec-1).
    const first = await runScripted(rig, async (window) => {
      await window.visit(window.callbackWith());
    });
    assert.equal(first.result?.success, true);
    const next = await generateKeyPair('RS256', { extractable: true });
    op.jwks.keys.splice(0, op.jwks.keys.length, {
      ...(await exportJWK(next.publicKey)),
      alg: 'RS256',
      use: 'sig',
      kid: 'rsa-next',
    });
    // openid-client refetches a JWKS for an unknown kid once the cached copy is a minute old
    // (a rate limit against kid spraying); move the clock rather than wait.
    const realNow = Date.now;
    Date.now = () => realNow() + 61_000;
    try {
      await rig.store.delete('user-1');
      await rig.sessionStore.delete('default');
      const jwksFetches = op.requestsTo('jwks').length;
      const second = await runScripted(rig, async (window) => {
        const t = Math.floor(Date.now() / 1000);
        const idToken = await new SignJWT({ nonce: window.nonce, auth_time: t })
          .setProtectedHeader({ alg: 'RS256', kid: 'rsa-next' })
          .setIssuer(op.issuer)
          .setAudience(op.clientId)
          .setSubject('user-1')
          .setIssuedAt(t)
          .setExpirationTime(t + 300)
          .sign(next.privateKey);
        await window.visit(window.callbackWith({ idToken: { raw: idToken } }));
      });
      assert.equal(second.error, undefined, second.error?.message);
      assert.equal(second.result?.success, true);
      assert.equal(op.requestsTo('jwks').length, jwksFetches + 1, 'the JWKS was fetched again');
      // And the old key, now gone from the JWKS, no longer signs anything acceptable.
      await rig.store.delete('user-1');
      await rig.sessionStore.delete('default');
      const stale = await runScripted(rig, async (window) => {
        await window.visit(window.callbackWith());
      });
      await assertRejected(rig, stale, { code: 'validation_failed' });
    } finally {
      Date.now = realNow;
      rig.session.dispose();
    }
  });

  it("IDT-25 key-confusion headers: an embedded jwk, or a jku/x5u naming the attacker's keys, are ignored", async () => {
    const op = hostile();
    const attacker = await generateKeyPair('RS256', { extractable: true });
    const attackerJwk = { ...(await exportJWK(attacker.publicKey)), alg: 'RS256', kid: 'attacker' };
    for (const header of [
      { jwk: attackerJwk, kid: 'attacker' },
      { jku: `${op.origin}/attacker-jwks`, kid: 'attacker' },
      { x5u: `${op.origin}/attacker-cert`, kid: 'attacker' },
      { jwk: attackerJwk, kid: 'rsa-1' },
    ]) {
      const delivered = await deliverWith(op, async (window) => {
        const t = now();
        const idToken = await new SignJWT({ nonce: window.nonce, auth_time: t })
          .setProtectedHeader({ alg: 'RS256', ...header })
          .setIssuer(op.issuer)
          .setAudience(op.clientId)
          .setSubject('user-1')
          .setIssuedAt(t)
          .setExpirationTime(t + 300)
          .sign(attacker.privateKey);
        return window.callbackWith({ idToken: { raw: idToken } });
      });
      await expectRefused(delivered, 'validation_failed', 1);
    }
    assert.equal(
      op.requests.filter((r) => r.path.startsWith('/attacker')).length,
      0,
      'the attacker URLs were never fetched',
    );
  });

  it('IDT-21 malformed JWTs are refused: extra segments, non-JSON header, array payload, string exp, deep nesting, oversized', async () => {
    const op = hostile();
    const genuine = await op.signIdToken();
    const [header, payload, signature] = genuine.split('.');
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const malformed = [
      `${genuine}.extra`,
      `${b64('not json')}.${payload}.${signature}`,
      `${header}.${b64('[1,2,3]')}.${signature}`,
      `${header}.${b64(`${'['.repeat(20_000)}${']'.repeat(20_000)}`)}.${signature}`,
      `${header}..${signature}`,
      'a.b',
      '',
    ];
    for (const raw of malformed) {
      await refuses({ idToken: { raw } }, 'validation_failed');
    }
    await refuses({ idToken: { claims: { exp: String(now() + 300) } } }, 'validation_failed');
    // Bounded memory: a response over the size cap is cut off, not parsed.
    await refuses({ idToken: { raw: 'x'.repeat(2 * 1024 * 1024) } }, 'provider_unavailable');
  });

  it('IDT-22 auth_time missing or stale when max_age was sent', async () => {
    const op = hostile();
    const options = { provider: { maxAge: 60 } };
    for (const authTime of [undefined, now() - 3600]) {
      const delivered = await deliver(
        op,
        { idToken: { claims: { auth_time: authTime } } },
        {},
        options,
      );
      assert.equal(delivered.run.authorize?.url.searchParams.get('max_age'), '60');
      await expectRefused(delivered, 'validation_failed', 1);
    }
    await expectSignedIn(await deliver(op, {}, {}, options));
  });

  it('IDT-23 discovery metadata naming another issuer: refused before any window opens', async () => {
    const op = hostile();
    op.metadata.issuer = `${op.origin}/another-tenant`;
    const rig = nativeRig(op);
    const since = op.requests.length;
    const run = await runScripted(rig, async () => {});
    await assertRejected(rig, run, { code: 'discovery_failed' });
    assert.equal(run.windowsOpened, 0);
    assert.deepEqual(
      op.requests.slice(since).map((r) => r.route),
      ['discovery'],
      'nothing after discovery',
    );
  });
});

describe('token endpoint (flow level)', () => {
  const reply = (status: number, body: unknown, contentType?: string) => (): HostileReply => ({
    status,
    body,
    ...(contentType ? { headers: { 'content-type': contentType } } : {}),
  });

  async function tokenRefused(
    handler: () => HostileReply,
    code: 'exchange_failed' | 'provider_unavailable' | 'validation_failed',
  ) {
    const op = hostile();
    op.override('token', handler);
    const delivered = await deliver(op);
    const error = await expectRefused(delivered, code, 1);
    assert.doesNotMatch(
      error.message,
      /<html|<h1|stack|secret-body/i,
      'no provider body in the message',
    );
    assert.doesNotMatch(delivered.page.body, /secret-body/, 'no provider body on the page');
    return error;
  }

  it('TOK-01 an HTML body', async () => {
    await tokenRefused(
      reply(200, '<html><h1>secret-body</h1></html>', 'text/html'),
      'provider_unavailable',
    );
  });

  it('TOK-02a a well-formed token response with a wrong content type (text/html)', async () => {
    // No openid scope and no userinfo endpoint: nothing after the token response could fail,
    // so the content type alone must refuse it.
    const op = hostile();
    delete op.metadata.userinfo_endpoint;
    op.override('token', () => ({
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: JSON.stringify({
        access_token: `at-${'w'.repeat(24)}`,
        token_type: 'Bearer',
        expires_in: 60,
      }),
    }));
    const delivered = await deliver(op, {}, {}, { provider: { scopes: ['email'] } });
    await expectRefused(delivered, ['provider_unavailable', 'exchange_failed'], 1);
  });

  it('TOK-02b a non-JSON body announced as JSON', async () => {
    await tokenRefused(
      reply(200, 'secret-body, not json', 'application/json'),
      'provider_unavailable',
    );
  });

  it('TOK-03 a top-level array', async () => {
    await tokenRefused(
      reply(200, [{ access_token: 'at-arrayarrayarrayarray' }]),
      'provider_unavailable',
    );
  });

  it('TOK-04 a top-level null', async () => {
    await tokenRefused(reply(200, null), 'provider_unavailable');
  });

  for (const [id, name, fields] of [
    ['TOK-05', 'access_token missing', { access_token: undefined }],
    ['TOK-06a', 'access_token a number', { access_token: 12345 }],
    ['TOK-06b', 'access_token an object', { access_token: { value: 'x' } }],
    ['TOK-06c', 'access_token empty', { access_token: '' }],
    ['TOK-07', 'token_type missing', { token_type: undefined }],
    ['TOK-08', 'token_type empty', { token_type: '' }],
    ['TOK-09a', 'token_type unknown (mac)', { token_type: 'mac' }],
    ['TOK-09b', 'token_type DPoP (not bound here)', { token_type: 'DPoP' }],
    ['TOK-11a', 'expires_in "12abc"', { expires_in: '12abc' }],
    ['TOK-11b', 'expires_in fractional', { expires_in: 3.5 }],
    ['TOK-11c', 'expires_in an object', { expires_in: { seconds: 60 } }],
    ['TOK-11d', 'expires_in a boolean', { expires_in: true }],
    ['TOK-12', 'expires_in negative', { expires_in: -5 }],
    ['TOK-13a', 'expires_in huge (9e15)', { expires_in: 9e15 }],
    ['TOK-13b', 'expires_in absurd (1e300)', { expires_in: 1e300 }],
  ] as const) {
    it(`${id} ${name}`, async () => {
      await refuses({ tokenResponse: fields as Record<string, unknown> }, 'exchange_failed');
    });
  }

  it('TOK-10 token_type BEARER in any case is accepted, and expires_in may be missing or long (controls)', async () => {
    const op = hostile();
    for (const tokenResponse of [
      { token_type: 'BEARER' },
      { token_type: 'bearer', expires_in: undefined },
      { token_type: 'bEaReR', expires_in: MAX_EXPIRES_IN_SECONDS },
    ]) {
      const delivered = await deliver(op, { tokenResponse });
      await expectSignedIn(delivered);
      const stored = await delivered.rig.store.load('user-1');
      assert.equal(stored?.tokenType, 'Bearer');
    }
  });

  it('TOK-14 openid requested but no id_token', async () => {
    await refuses({ idToken: false }, 'validation_failed');
  });

  it('TOK-15 400 invalid_grant: exchange_failed with the provider error, exactly one request', async () => {
    const error = await tokenRefused(
      reply(400, { error: 'invalid_grant', error_description: 'code expired' }),
      'exchange_failed',
    );
    assert.equal(error.providerError, 'invalid_grant');
  });

  it('TOK-16 401 invalid_client: exchange_failed, exactly one request', async () => {
    const error = await tokenRefused(reply(401, { error: 'invalid_client' }), 'exchange_failed');
    assert.equal(error.providerError, 'invalid_client');
  });

  it('TOK-17 500 with an HTML body: provider_unavailable, exactly one request, body not shown', async () => {
    await tokenRefused(
      reply(500, '<html><pre>secret-body stack trace at Object.x</pre></html>', 'text/html'),
      'provider_unavailable',
    );
  });

  it('TOK-18 a response that never ends: the request deadline fails the flow', async () => {
    const op = hostile();
    op.override('token', () => ({
      raw: (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"access_token":');
      },
    }));
    const started = performance.now();
    const delivered = await deliver(op, {}, {}, { provider: { timeoutSeconds: 1 } });
    await expectRefused(delivered, 'provider_unavailable', 1);
    assert.ok(performance.now() - started < 8000, 'bounded by the 1 s deadline');
  });

  it('TOK-19 a response that trickles a byte at a time: the deadline covers the whole body', async () => {
    const op = hostile();
    op.override('token', () => ({
      raw: (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"access_token":"at-');
        const timer = setInterval(() => res.write('a'), 100);
        res.on('close', () => clearInterval(timer));
      },
    }));
    const started = performance.now();
    const delivered = await deliver(op, {}, {}, { provider: { timeoutSeconds: 1 } });
    await expectRefused(delivered, 'provider_unavailable', 1);
    assert.ok(performance.now() - started < 8000, 'bounded by the 1 s deadline');
  });

  it('TOK-20 a hanging token endpoint is also bounded by authTimeout (AuthFlowTimeout)', async () => {
    const op = hostile();
    op.override('token', () => ({ raw: () => {} }));
    const started = performance.now();
    const since = op.requests.length;
    const rig = nativeRig(op, { authTimeout: 1.5, provider: { timeoutSeconds: 30 } });
    const run = await runScripted(rig, async (window) => {
      await window.visit(window.callbackWith());
    });
    await assertRejected(rig, run, { code: 'timeout', class: AuthFlowTimeout });
    assert.ok(performance.now() - started < 8000, 'bounded by authTimeout');
    assertStoppedAfterToken(op, since, 1);
  });
});

describe('userinfo (flow level)', () => {
  for (const [id, name, userinfo] of [
    ['UI-01', 'sub differs from the ID token', { sub: 'mallory' }],
    ['UI-02', 'sub missing', { sub: undefined }],
    ['UI-03a', 'sub a number', { sub: 42 }],
    ['UI-03b', 'sub null', { sub: null }],
    ['UI-03c', 'sub an array', { sub: ['user-1'] }],
  ] as const) {
    it(`${id} ${name}`, async () => {
      const op = hostile();
      const delivered = await deliver(op, { userinfo: userinfo as Record<string, unknown> });
      await assertRejected(delivered.rig, delivered.run, { code: 'validation_failed' });
      assert.equal(delivered.page.status, 400);
      assertNoSecrets(delivered.page.body);
      const routes = op.requests.slice(delivered.since).map((r) => r.route);
      assert.equal(routes.at(-1), 'userinfo', `nothing after userinfo: ${routes}`);
      assert.equal(routes.filter((r) => r === 'userinfo').length, 1);
    });
  }

  it('UI-04 the access token is only ever sent in the Authorization header', async () => {
    const op = hostile();
    const delivered = await deliver(op);
    await expectSignedIn(delivered);
    const accessToken = delivered.run.result?.tokens?.accessToken ?? '';
    assert.match(accessToken, /^at-/);
    const userinfo = op.requestsTo('userinfo').at(-1);
    assert.ok(userinfo);
    assert.equal(userinfo.method, 'GET');
    assert.equal(userinfo.headers.authorization, `Bearer ${accessToken}`);
    for (const request of op.requests.slice(delivered.since)) {
      assert.equal(request.query.toString().includes(accessToken), false, 'not in a URL');
      assert.equal(request.body.includes(accessToken), false, 'not in a body');
      if (request !== userinfo) {
        assert.equal(JSON.stringify(request.headers).includes(accessToken), false);
      }
    }
  });
});
