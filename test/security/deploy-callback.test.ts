/**
 * Issue 5, deploy mode: the authorization response at `GET /auth/callback`, against a hostile
 * provider and hostile browsers. Every refused callback must answer a JSON error that leaks
 * nothing, save no session and no token set, set no session cookie, and send no (further)
 * request to the provider.
 *
 * Ids: DEP-01 … DEP-16 (DEP-03 … DEP-09 and DEP-17 live in deploy-cookies.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertJsonError,
  assertNothingPersisted,
  assertReportsClean,
  BINDING_COOKIE,
  CANARY,
  callbackPath,
  DeployBrowser,
  deployRig,
  mark,
  SESSION_COOKIE,
  signIn,
} from './support/deploy-rig.js';
import { useHostileProvider } from './support/hostile-fixture.js';

const hostile = useHostileProvider();

describe('deploy callback: whose sign-in is it', () => {
  it("DEP-01 login CSRF: the attacker's valid state and code delivered in the victim's browser creates nothing", async () => {
    const rig = deployRig(hostile());
    const signedInVictim = new DeployBrowser('10.0.0.2');
    await signIn(rig, signedInVictim, { sub: 'victim' });
    const victims: [string, DeployBrowser, string][] = [
      ['a browser without cookies', new DeployBrowser('10.0.0.3'), 'login_binding_failed'],
      [
        'a browser in the middle of its own login',
        new DeployBrowser('10.0.0.4'),
        'login_binding_failed',
      ],
      ['a browser signed in as the victim', signedInVictim, 'login_binding_failed'],
    ];
    await victims[1]?.[1].startLogin(rig.app);
    for (const [who, victim, expected] of victims) {
      // The attacker starts a login in its own browser, approves it at the provider as
      // mallory, and delivers the callback URL to the victim instead of following it.
      const attacker = new DeployBrowser('10.6.6.6');
      const attackerCallback = callbackPath(rig.op, await attacker.startLogin(rig.app), {
        sub: 'mallory',
      });
      const sessionBefore = victim.sessionCookie;
      const since = mark(rig);
      const response = await victim.call(rig.app, attackerCallback);
      await assertJsonError(response, 400, expected);
      assertNothingPersisted(rig, since, response, { tokenRequests: 0 });
      assert.equal(victim.sessionCookie, sessionBefore, `${who}: session cookie unchanged`);
      const status = await victim.status(rig.app);
      if (sessionBefore === undefined) assert.deepEqual(status, { authenticated: false }, who);
      else assert.equal(status.userId, 'victim', `${who}: still the victim, never mallory`);
    }
  });

  it("DEP-02 code injection: the attacker's code inside the victim's own callback is refused by PKCE, nothing stored", async () => {
    const rig = deployRig(hostile());
    const attacker = new DeployBrowser('10.6.6.6');
    const attackerCode = new URL(
      callbackPath(rig.op, await attacker.startLogin(rig.app), { sub: 'mallory' }),
      'http://x',
    ).searchParams.get('code') as string;
    const victim = new DeployBrowser();
    const victimAuthorize = await victim.startLogin(rig.app);
    const since = mark(rig);
    const response = await victim.call(
      rig.app,
      callbackPath(rig.op, victimAuthorize, {}, { code: attackerCode }),
    );
    await assertJsonError(response, 400, 'exchange_failed');
    // One token request (the provider's PKCE check refuses it), then nothing.
    assertNothingPersisted(rig, since, response, { tokenRequests: 1 });
    assert.deepEqual(await victim.status(rig.app), { authenticated: false });
  });

  it('DEP-10 logins from an unknown issuer: unsolicited and mixed-up callbacks, third-party-initiated login, no back-channel route', async () => {
    const rig = deployRig(hostile());
    const evil = 'https://evil.example';
    const since = mark(rig);
    // An unsolicited callback (an IdP-initiated login) with a code and another issuer's iss.
    for (const browser of [new DeployBrowser(), await startedBrowser(rig)]) {
      const response = await browser.call(
        rig.app,
        `/auth/callback?code=code-unsolicited-0123456789abcdef&iss=${encodeURIComponent(evil)}`,
      );
      await assertJsonError(response, 400, 'invalid_state');
      assertNothingPersisted(rig, since, response);
    }
    // A callback for this browser's own pending login whose iss names another issuer (mix-up).
    const browser = new DeployBrowser();
    const authorizeUrl = await browser.startLogin(rig.app);
    const mixedUp = mark(rig);
    const response = await browser.call(
      rig.app,
      callbackPath(rig.op, authorizeUrl, { sub: 'mallory' }, { iss: evil }),
    );
    await assertJsonError(response, 400, 'validation_failed');
    assertNothingPersisted(rig, mixedUp, response, { tokenRequests: 0 });
    // A third-party-initiated login (OIDC initiate_login_uri style): iss and target_link_uri
    // are ignored, the browser goes to the configured provider only.
    const thirdParty = await new DeployBrowser().call(
      rig.app,
      `/auth/login?iss=${encodeURIComponent(evil)}&target_link_uri=${encodeURIComponent(`${evil}/x`)}&login_hint=mallory`,
    );
    assert.equal(thirdParty.status, 302);
    const location = new URL(thirdParty.headers.get('location') as string);
    assert.equal(location.origin, rig.op.origin);
    assert.equal(location.pathname, '/authorize');
    for (const name of ['iss', 'target_link_uri', 'login_hint']) {
      assert.equal(location.searchParams.has(name), false, `${name} not forwarded`);
    }
    // No third-party-initiated login route, no form_post callback; the back-channel logout
    // route takes only a signed logout token (a code posted there is refused).
    const noRoute = mark(rig);
    for (const [path, method, statuses] of [
      ['/auth/backchannel-logout', 'POST', [400]],
      ['/auth/initiate-login', 'GET', [404, 405]],
      ['/auth/callback', 'POST', [404, 405]],
    ] as const) {
      const answer = await new DeployBrowser().call(rig.app, path, {
        method,
        headers: {
          origin: 'https://evil.example',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: method === 'POST' ? `code=code-posted-0123456789abcdef&iss=${evil}` : undefined,
      });
      await assertJsonError(answer, [...statuses]);
      assertNothingPersisted(rig, noRoute, answer);
    }
  });
});

describe('deploy callback: malformed and hostile authorization responses', () => {
  it('DEP-11 error= with markup: JSON-escaped, never reflected; from a wrong state it is a callback error, not the provider’s word', async () => {
    const rig = deployRig(hostile());
    const markup = `<script>alert(document.cookie)</script>${CANARY}`;
    const browser = new DeployBrowser();
    const state = (await browser.startLogin(rig.app)).searchParams.get('state') as string;
    const since = mark(rig);
    // From another browser (no binding): refused as a callback error.
    const forged = await new DeployBrowser('10.6.6.6').call(
      rig.app,
      `/auth/callback?${new URLSearchParams({ error: 'access_denied', error_description: markup, state })}`,
    );
    const forgedBody = await assertJsonError(forged, 400, 'login_binding_failed');
    assert.doesNotMatch(forgedBody.errorDescription, /provider/i);
    // A wrong state in the right browser: refused as a callback error too.
    const wrongState = await browser.call(
      rig.app,
      `/auth/callback?${new URLSearchParams({ error: 'access_denied', error_description: markup, state: 'x'.repeat(43) })}`,
    );
    await assertJsonError(wrongState, 400, 'invalid_state');
    // The right state: the provider's refusal, in our words (its error code only when it is a plain word).
    const refused = await browser.call(
      rig.app,
      `/auth/callback?${new URLSearchParams({ error: 'access_denied', error_description: markup, error_uri: `javascript:alert(1)//${CANARY}`, state })}`,
    );
    const body = await assertJsonError(refused, 400, 'provider_error');
    assert.match(body.errorDescription, /\(access_denied\)/);
    // Markup in `error` itself is never echoed.
    const state2 = (await browser.startLogin(rig.app)).searchParams.get('state') as string;
    const weird = await browser.call(
      rig.app,
      `/auth/callback?${new URLSearchParams({ error: `<img src=x onerror=alert(1)>${CANARY}`, state: state2 })}`,
    );
    const weirdBody = await assertJsonError(weird, 400, 'provider_error');
    assert.match(weirdBody.errorDescription, /\(unknown_error\)/);
    for (const response of [forged, wrongState, refused, weird]) {
      assertNothingPersisted(rig, since, response);
    }
  });

  it('DEP-12 duplicated parameters (state, code, iss, error) are refused before anything is looked up or exchanged', async () => {
    const rig = deployRig(hostile());
    rig.op.metadata.authorization_response_iss_parameter_supported = true;
    const browser = new DeployBrowser();
    const authorizeUrl = await browser.startLogin(rig.app);
    const genuine = new URL(callbackPath(rig.op, authorizeUrl), 'http://x').searchParams;
    const state = genuine.get('state') as string;
    const code = genuine.get('code') as string;
    const iss = rig.op.issuer;
    const since = mark(rig);
    const variants = [
      `state=${state}&state=${state}&code=${code}&iss=${iss}`,
      `state=${state}&state=attacker-state&code=${code}&iss=${iss}`,
      `state=${state}&code=${code}&code=code-attacker-0123456789abcdef&iss=${iss}`,
      `state=${state}&code=${code}&iss=${iss}&iss=https://evil.example`,
      `state=${state}&code=${code}&iss=${iss}&error=access_denied&error=server_error`,
      `state=${state}&code=${code}&iss=${iss}&session_state=a&session_state=b`,
    ];
    for (const query of variants) {
      const response = await browser.call(rig.app, `/auth/callback?${query}`);
      await assertJsonError(response, 400, 'invalid_request');
      assertNothingPersisted(rig, since, response, { tokenRequests: 0 });
    }
    assert.equal(rig.sessions.gets, 0, 'not even a session read');
    // The pending login was not burnt by them: the genuine callback still completes.
    const done = await browser.call(rig.app, `/auth/callback?${genuine}`);
    assert.equal(done.status, 302);
    assert.equal((await browser.status(rig.app)).userId, 'user-1');
  });

  it('DEP-13 an empty or missing code is refused without a token request', async () => {
    const rig = deployRig(hostile());
    for (const code of ['', undefined]) {
      const browser = new DeployBrowser();
      const state = (await browser.startLogin(rig.app)).searchParams.get('state') as string;
      const since = mark(rig);
      const query = new URLSearchParams({ state });
      if (code !== undefined) query.set('code', code);
      const response = await browser.call(rig.app, `/auth/callback?${query}`);
      await assertJsonError(response, 400, 'invalid_request');
      assertNothingPersisted(rig, since, response);
      assert.deepEqual(await browser.status(rig.app), { authenticated: false });
    }
  });

  it('DEP-14 tokens injected into the callback query (access_token, id_token, refresh_token, token) are refused before any token request', async () => {
    const rig = deployRig(hostile());
    const forgedIdToken = await rig.op.signIdToken({}, { sub: 'mallory' });
    const injected: Record<string, string> = {
      access_token: 'at-injected-0123456789abcdefghij',
      id_token: forgedIdToken,
      refresh_token: 'rt-injected-0123456789abcdefghij',
      token: 'at-injected-0123456789abcdefghij',
    };
    for (const [name, value] of Object.entries(injected)) {
      const browser = new DeployBrowser();
      const authorizeUrl = await browser.startLogin(rig.app);
      const since = mark(rig);
      const response = await browser.call(
        rig.app,
        callbackPath(
          rig.op,
          authorizeUrl,
          { sub: 'mallory' },
          { [name]: value, token_type: 'Bearer' },
        ),
      );
      await assertJsonError(response, 400, 'validation_failed');
      assertNothingPersisted(rig, since, response, { tokenRequests: 0 });
      assert.deepEqual(await browser.status(rig.app), { authenticated: false }, name);
    }
    assertReportsClean(rig);
  });

  it('DEP-15 a replayed state is refused: no second exchange, the session stays as it was', async () => {
    const rig = deployRig(hostile());
    const browser = new DeployBrowser();
    const { callback } = await signIn(rig, browser);
    const cookie = browser.sessionCookie;
    const since = mark(rig);
    // The same callback again, in the same browser, then in another one; then the same state
    // with a fresh code the attacker obtained.
    const state = new URL(callback, 'http://x').searchParams.get('state') as string;
    const fresh = `/auth/callback?${new URLSearchParams({ state, code: rig.op.issueCode({ sub: 'mallory' }) })}`;
    for (const [who, replayer, path, expected] of [
      ['same browser', browser, callback, 'invalid_state'],
      ['another browser', new DeployBrowser('10.6.6.6'), callback, 'login_binding_failed'],
      ['same browser, new code', browser, fresh, 'invalid_state'],
    ] as const) {
      const response = await replayer.call(rig.app, path);
      await assertJsonError(response, 400, expected);
      assertNothingPersisted(rig, since, response);
      assert.equal(response.headers.getSetCookie().length, 0, `${who}: no cookie at all`);
    }
    assert.equal(browser.sessionCookie, cookie);
    assert.equal((await browser.status(rig.app)).userId, 'user-1');
    assert.deepEqual(rig.sessions.deleted, [], 'the replay ended no session');
  });

  it('DEP-16 JSON errors leak no internals: provider bodies, tokens, stacks and thrown messages never reach the browser', async () => {
    const op = hostile();
    const secretish = `at-${'s'.repeat(30)}`;
    const rig = deployRig(op, {
      rolesFromClaims: (claims) => {
        if (claims.sub === 'crash') {
          throw new Error(`roles backend down <b>${CANARY}</b> token=${secretish}`);
        }
        return [];
      },
    });
    const cases: [string, () => void, string, number, string][] = [
      [
        'token endpoint 400 with markup in error_description',
        () =>
          op.override('token', () => ({
            status: 400,
            body: { error: 'invalid_grant', error_description: `<script>${CANARY}</script>` },
          })),
        'user-1',
        400,
        'exchange_failed',
      ],
      [
        'token endpoint 500 HTML page',
        () =>
          op.override('token', () => ({
            status: 500,
            headers: { 'content-type': 'text/html' },
            body: `<html><body><pre>Traceback ${CANARY}</pre></body></html>`,
          })),
        'user-1',
        502,
        'provider_unavailable',
      ],
      [
        'userinfo 500 with a JSON body',
        () =>
          op.override('userinfo', () => ({
            status: 500,
            body: { error: 'server_error', error_description: CANARY, stack: 'at x (y.js:1:1)' },
          })),
        'user-1',
        502,
        'provider_unavailable',
      ],
      ['a thrown error in the app’s own hook', () => {}, 'crash', 500, 'internal_error'],
    ];
    for (const [name, bend, sub, status, error] of cases) {
      op.override('token', null);
      op.override('userinfo', null);
      bend();
      const browser = new DeployBrowser();
      const authorizeUrl = await browser.startLogin(rig.app);
      const since = mark(rig);
      const response = await browser.call(rig.app, callbackPath(op, authorizeUrl, { sub }));
      const text = await response.clone().text();
      assert.ok(!text.includes(secretish), name);
      await assertJsonError(response, status, error);
      assertNothingPersisted(rig, since, response, {
        tokenRequests: 1,
        userinfoRequests: name.startsWith('token') ? 0 : 1,
      });
    }
    // The 404/405 answers too.
    for (const [path, method] of [
      ['/auth/../../etc/passwd', 'GET'],
      ['/auth/status', 'DELETE'],
    ] as const) {
      await assertJsonError(await new DeployBrowser().call(rig.app, path, { method }), [404, 405]);
    }
    assert.ok(rig.reported.length >= 4, 'the failures were reported to onError for the logs');
  });
});

async function startedBrowser(rig: ReturnType<typeof deployRig>): Promise<DeployBrowser> {
  const browser = new DeployBrowser('10.0.0.9');
  await browser.startLogin(rig.app);
  assert.ok(browser.jar.cookies.has(BINDING_COOKIE));
  assert.ok(!browser.jar.cookies.has(SESSION_COOKIE));
  return browser;
}
