/**
 * Issue 5, deploy mode: cookies, redirects and cross-site requests. Session fixation, tampered,
 * foreign, oversized, duplicated and wrong-purpose cookies, open redirects through `returnTo`,
 * and cross-site POSTs to `/auth/logout` and `/auth/refresh`. A refused request must change
 * nothing: no session saved or ended, no token set written, no session cookie, no request to
 * the provider.
 *
 * Ids: DEP-03 … DEP-09, DEP-17.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { ValueSigner } from '../../src/deploy/crypto.js';
import { type AuthEnv, safeReturnTo } from '../../src/deploy/index.js';
import { ConfigurationError } from '../../src/errors.js';
import {
  assertJsonError,
  assertNothingPersisted,
  BASE_URL,
  BINDING_COOKIE,
  callbackPath,
  DeployBrowser,
  type DeployRig,
  deployRig,
  mark,
  SECRET,
  SESSION_COOKIE,
  setsSessionCookie,
  signIn,
  storedTokens,
} from './support/deploy-rig.js';
import { useHostileProvider } from './support/hostile-fixture.js';

const hostile = useHostileProvider();

/**
 * Sends `cookie` to every route that reads the session and expects "not signed in" everywhere,
 * without a store lookup, a state change or a provider request.
 */
async function assertNoSessionFor(rig: DeployRig, cookie: string, label: string): Promise<void> {
  const since = mark(rig);
  const gets = rig.sessions.gets;
  const deleted = [rig.sessions.deleted.length, rig.tokens.deleted.length];
  const call = (path: string, init: RequestInit = {}) =>
    rig.app.fetch(
      new Request(`${BASE_URL}${path}`, {
        ...init,
        headers: { cookie, ...(init.method === 'POST' ? { origin: BASE_URL } : {}) },
      }),
      { remoteAddress: '10.0.0.77' },
    );
  const status = await call('/auth/status');
  assert.equal(status.status, 200, label);
  assert.deepEqual(await status.json(), { authenticated: false }, label);
  await assertJsonError(await call('/auth/userinfo'), 401, 'not_authenticated');
  await assertJsonError(await call('/auth/refresh', { method: 'POST' }), 401, 'not_authenticated');
  const logout = await call('/auth/logout', { method: 'POST' });
  assert.equal(logout.status, 200, label);
  assert.deepEqual(await logout.json(), { success: true }, label);
  assert.equal(await rig.app.getSession(new Request(BASE_URL, { headers: { cookie } })), null);
  assert.equal(rig.sessions.gets, gets, `${label}: refused before any store lookup`);
  assert.deepEqual(
    [rig.sessions.deleted.length, rig.tokens.deleted.length],
    deleted,
    `${label}: nothing ended`,
  );
  assertNothingPersisted(rig, since, status);
  assert.equal(setsSessionCookie(logout), false);
}

/** The signed-in browser's session still works (a refused cookie ended nothing). */
async function assertStillSignedIn(rig: DeployRig, browser: DeployBrowser, userId = 'user-1') {
  assert.equal((await browser.status(rig.app)).userId, userId);
}

describe('deploy cookies', () => {
  it('DEP-03 session fixation: a planted session or login-binding cookie is never adopted; every sign-in gets a new random id', async () => {
    const rig = deployRig(hostile());
    // (a) The attacker's own valid session cookie planted in the victim's browser.
    const attacker = new DeployBrowser('10.6.6.6');
    await signIn(rig, attacker, { sub: 'mallory' });
    const planted = attacker.sessionCookie as string;
    const victim = new DeployBrowser();
    victim.jar.cookies.set(SESSION_COOKIE, planted);
    assert.equal((await victim.status(rig.app)).userId, 'mallory', 'the planted cookie is live');
    const { response } = await signIn(rig, victim, { sub: 'victim' });
    const fresh = victim.sessionCookie as string;
    assert.notEqual(fresh, planted);
    assert.match(fresh, /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/, '256-bit id, signed');
    assert.match(response.headers.getSetCookie().join('\n'), /HttpOnly; SameSite=Lax/);
    assert.equal((await victim.status(rig.app)).userId, 'victim');
    assert.deepEqual(await attacker.status(rig.app), { authenticated: false }, 'planted one ended');
    const plantedId = planted.split('.')[0] as string;
    assert.ok(rig.sessions.deleted.includes(plantedId));
    assert.equal(await rig.tokens.load(plantedId), undefined, "the planted session's tokens too");
    // (b) Attacker-chosen ids (unsigned, or signed by another app) are never used as an id.
    for (const chosen of ['attacker-chosen-id', `${'A'.repeat(43)}.${'B'.repeat(43)}`]) {
      const browser = new DeployBrowser();
      browser.jar.cookies.set(SESSION_COOKIE, chosen);
      await signIn(rig, browser);
      assert.notEqual(browser.sessionCookie, chosen);
      assert.ok(!rig.sessions.saved.some((id) => chosen.startsWith(id)), 'never saved under it');
    }
    assert.equal(new Set(rig.sessions.saved).size, rig.sessions.saved.length, 'ids never reused');
    // (c) On https the login binding is a __Host- cookie: a sibling subdomain can plant only
    // the plain name, which is ignored, so it cannot pre-bind the victim's logins.
    const https = deployRig(hostile(), { baseUrl: 'https://app.example' });
    const attackerBinding = new DeployBrowser('10.6.6.6', 'https://app.example');
    const attackerLogin = await attackerBinding.call(https.app, '/auth/login');
    const bindingHeader = attackerLogin.headers.getSetCookie()[0] ?? '';
    assert.match(
      bindingHeader,
      /^__Host-authflow_session_login=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/,
    );
    const attackerValue = attackerBinding.jar.cookies.get(
      '__Host-authflow_session_login',
    ) as string;
    const tossed = new DeployBrowser('10.0.0.5', 'https://app.example');
    tossed.jar.cookies.set(BINDING_COOKIE, attackerValue);
    const victimLogin = await tossed.call(https.app, '/auth/login');
    const victimBinding = tossed.jar.cookies.get('__Host-authflow_session_login');
    assert.equal(victimLogin.status, 302);
    assert.ok(victimBinding && victimBinding !== attackerValue, 'a binding of its own');
  });

  it('DEP-04 tampered session cookies (value, signature, truncation, re-encoding) are no session', async () => {
    const rig = deployRig(hostile());
    const browser = new DeployBrowser();
    await signIn(rig, browser);
    const good = browser.sessionCookie as string;
    const other = new DeployBrowser('10.0.0.8');
    await signIn(rig, other, { sub: 'user-2' });
    const [value, signature] = good.split('.') as [string, string];
    const flip = (text: string, at: number) =>
      `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
    const tampered: Record<string, string> = {
      'value bit flipped': `${flip(value, 5)}.${signature}`,
      'signature bit flipped': `${value}.${flip(signature, 5)}`,
      'signature of another session': `${value}.${(other.sessionCookie as string).split('.')[1]}`,
      'signature truncated': `${value}.${signature.slice(0, 42)}`,
      'signature missing': value,
      'empty signature': `${value}.`,
      'extra segment': `${good}.x`,
      'percent-encoded dot': `${value}%2E${signature}`,
      'base64 instead of base64url': `${value}.${signature.replaceAll('-', '+').replaceAll('_', '/')}=`,
      'upper-cased': good.toUpperCase(),
    };
    for (const [label, cookie] of Object.entries(tampered)) {
      if (cookie === good) continue;
      await assertNoSessionFor(rig, `${SESSION_COOKIE}=${cookie}`, label);
    }
    await assertStillSignedIn(rig, browser);
  });

  it('DEP-05 foreign session cookies (signed with another secret, or by another app) are no session', async () => {
    const rig = deployRig(hostile());
    const browser = new DeployBrowser();
    await signIn(rig, browser);
    const id = (browser.sessionCookie as string).split('.')[0] as string;
    const otherApp = deployRig(hostile(), { secret: `${SECRET}-other-app-x` });
    const foreigner = new DeployBrowser();
    await signIn(otherApp, foreigner);
    const forged = await new ValueSigner(`${SECRET}-guessed-secret`).sign('session', id);
    for (const [label, cookie] of Object.entries({
      "another app's valid cookie": foreigner.sessionCookie as string,
      'the live session id signed with another secret': forged,
    })) {
      await assertNoSessionFor(rig, `${SESSION_COOKIE}=${cookie}`, label);
    }
    await assertStillSignedIn(rig, browser);
  });

  it('DEP-06 oversized cookies and Cookie headers are ignored, never an error', async () => {
    const rig = deployRig(hostile());
    const browser = new DeployBrowser();
    await signIn(rig, browser);
    const good = browser.sessionCookie as string;
    const oversized: Record<string, string> = {
      'a 4 KiB session cookie': `${SESSION_COOKIE}=${good}${'A'.repeat(4096)}`,
      'a 64 KiB session cookie': `${SESSION_COOKIE}=${'A'.repeat(65_536)}.${'B'.repeat(43)}`,
      'a valid cookie in a 20 KiB header': `pad=${'x'.repeat(20_000)}; ${SESSION_COOKIE}=${good}`,
      '5000 cookies before it': `${Array.from({ length: 5000 }, (_, i) => `c${i}=1`).join('; ')}; ${SESSION_COOKIE}=${good}`,
    };
    for (const [label, cookie] of Object.entries(oversized)) {
      const started = Date.now();
      await assertNoSessionFor(rig, cookie, label);
      assert.ok(Date.now() - started < 2000, `${label}: bounded work`);
    }
    await assertStillSignedIn(rig, browser);
  });

  it('DEP-07 wrong-purpose cookies: a login-binding cookie is no session, a session cookie is no login binding', async () => {
    const rig = deployRig(hostile());
    const browser = new DeployBrowser();
    await signIn(rig, browser);
    const session = browser.sessionCookie as string;
    const binding = browser.bindingCookie as string;
    const liveId = session.split('.')[0] as string;
    // A binding cookie, and a binding-purpose signature over a live session id (the strongest
    // form: only the purpose differs), presented as the session cookie.
    const bindingOverLiveId = await new ValueSigner(SECRET).sign('login-binding', liveId);
    await assertNoSessionFor(rig, `${SESSION_COOKIE}=${binding}`, 'binding as session');
    await assertNoSessionFor(rig, `${SESSION_COOKIE}=${bindingOverLiveId}`, 'binding-signed id');
    // A session cookie (and a session-purpose signature over a binding secret) presented as the
    // login binding at the callback of a pending login.
    const starter = new DeployBrowser('10.0.0.9');
    const authorizeUrl = await starter.startLogin(rig.app);
    const bindingSecret = (starter.bindingCookie as string).split('.')[0] as string;
    const sessionOverBinding = await new ValueSigner(SECRET).sign('session', bindingSecret);
    for (const value of [session, sessionOverBinding]) {
      const since = mark(rig);
      const response = await rig.app.fetch(
        new Request(`${BASE_URL}${callbackPath(rig.op, authorizeUrl)}`, {
          headers: { cookie: `${BINDING_COOKIE}=${value}` },
        }),
      );
      await assertJsonError(response, 400, 'login_binding_failed');
      assertNothingPersisted(rig, since, response);
    }
    await assertStillSignedIn(rig, browser);
  });

  it('DEP-08 two valid session cookies of live sessions (a tossed one next to the real one) are no session; signing out ends both', async () => {
    // Issue 8 changed the rest of this case: a duplicate that does not verify, or whose
    // session is gone, no longer locks the user out (R8-DEP-01b).
    const rig = deployRig(hostile());
    const browser = new DeployBrowser();
    await signIn(rig, browser);
    const good = browser.sessionCookie as string;
    const other = new DeployBrowser('10.0.0.8');
    await signIn(rig, other, { sub: 'user-2' });
    const cookie = `${SESSION_COOKIE}=${other.sessionCookie}; ${SESSION_COOKIE}=${good}`;
    const since = mark(rig);
    const status = await rig.app.fetch(
      new Request(`${BASE_URL}/auth/status`, { headers: { cookie } }),
    );
    assert.deepEqual(await status.json(), { authenticated: false });
    assert.equal(await rig.app.getSession(new Request(BASE_URL, { headers: { cookie } })), null);
    assertNothingPersisted(rig, since, status);
    const logout = await rig.app.fetch(
      new Request(`${BASE_URL}/auth/logout`, {
        method: 'POST',
        headers: { cookie, origin: BASE_URL },
      }),
    );
    assert.equal(logout.status, 200);
    // Signing out ends every session whose cookie verifies (R8-DEP-01c): the user's own too,
    // which a planted duplicate must not keep alive on the server.
    assert.equal(rig.sessions.deleted.length, 2, 'both sessions ended');
    assert.deepEqual(await browser.status(rig.app), { authenticated: false });
    assert.deepEqual(await other.status(rig.app), { authenticated: false });
  });
});

describe('deploy redirects', () => {
  it('DEP-09 open redirect via returnTo: every hostile variant lands on afterLoginPath, end to end', async () => {
    const rig = deployRig(hostile());
    const hostileValues = [
      '//evil.example/x',
      '///evil.example',
      '/\\evil.example',
      '\\/evil.example',
      '\\\\evil.example',
      '/\t/evil.example',
      '\t//evil.example',
      '/\n/evil.example',
      '/\r\n/evil.example',
      '/\u0000/evil.example',
      ' //evil.example',
      '/ /evil.example',
      'https://evil.example/',
      'HTTPS://evil.example/',
      'https:evil.example',
      'javascript:alert(document.cookie)',
      'JaVaScRiPt:alert(1)',
      ' javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      '%2F%2Fevil.example',
      '/%2F%2Fevil.example',
      '/%2Fevil.example',
      '/%5Cevil.example',
      '%5C%5Cevil.example',
      '/%252F%252Fevil.example',
      '/%25252F%25252Fevil.example',
      '/%09/evil.example',
      '/%0d%0a/evil.example',
      'http:%2F%2Fevil.example',
      '/..//evil.example',
      '/.%2e//evil.example',
      '/\u3002evil.example',
      '/\uff0f\uff0fevil.example',
      '/%E0%A4%A',
      '/%',
      'evil.example',
      '?next=//evil.example',
      `/${'a'.repeat(5000)}`,
      '',
    ];
    for (const returnTo of hostileValues) {
      const label = JSON.stringify(returnTo).slice(0, 60);
      const browser = new DeployBrowser();
      rig.sessions.pending.length = 0;
      const { response } = await signIn(
        rig,
        browser,
        {},
        `?returnTo=${encodeURIComponent(returnTo)}`,
      );
      assert.equal(rig.sessions.pending[0]?.returnTo, undefined, `kept ${label}`);
      assert.equal(response.headers.get('location'), '/', label);
      assert.equal(safeReturnTo(returnTo, BASE_URL), undefined, label);
    }
    // Control: a same-origin path is kept exactly.
    const { response } = await signIn(
      rig,
      new DeployBrowser(),
      {},
      `?returnTo=${encodeURIComponent('/reports?y=2024#top')}`,
    );
    assert.equal(response.headers.get('location'), '/reports?y=2024#top');
    // returnTo given twice: refused before any pending login is stored.
    const pendingBefore = rig.sessions.pending.length;
    const twice = await new DeployBrowser().call(
      rig.app,
      '/auth/login?returnTo=/a&returnTo=//evil.example',
    );
    await assertJsonError(twice, 400, 'invalid_request');
    assert.equal(rig.sessions.pending.length, pendingBefore);
    // requireAuth's own redirect of a `//evil` page path goes through the same check.
    const site = new Hono<AuthEnv>();
    site.use(rig.app.middleware());
    site.get('*', rig.app.requireAuth(), (c) => c.text('secret page'));
    const page = await site.fetch(
      new Request(`${BASE_URL}//evil.example/x`, { headers: { accept: 'text/html' } }),
    );
    assert.equal(page.status, 302);
    const followed = await new DeployBrowser().call(site, page.headers.get('location') as string);
    assert.equal(followed.status, 302);
    assert.equal(rig.sessions.pending.at(-1)?.returnTo, undefined);
    // An unsafe afterLoginPath is refused at start.
    for (const afterLoginPath of ['//evil.example', '/\\evil.example', 'https://evil.example']) {
      assert.throws(
        () => deployRig(hostile(), { afterLoginPath }),
        (error: unknown) => error instanceof ConfigurationError,
      );
    }
  });
});

describe('deploy cross-site requests', () => {
  it('DEP-17 cross-site POSTs to logout and refresh fail closed (foreign Origin, Origin null, cross-site fetch metadata, no headers at all)', async () => {
    const rig = deployRig(hostile(), { trustedOrigins: ['https://admin.example.com'] });
    const browser = new DeployBrowser();
    await signIn(rig, browser);
    const tokensBefore = await storedTokens(rig);
    const refusals: Record<string, string>[] = [
      {},
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: `${BASE_URL}/` },
      { origin: 'http://127.0.0.1:4301' },
      { origin: 'https://127.0.0.1:4300' },
      { origin: `${BASE_URL}.evil.example` },
      { origin: 'https://evil.example', referer: `${BASE_URL}/page` },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'none' },
      { 'sec-fetch-site': 'cross-site', referer: `${BASE_URL}/page` },
      { 'sec-fetch-site': 'same-origin', referer: 'https://evil.example/' },
      { referer: 'https://evil.example/page' },
      { referer: 'not a url' },
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
    ];
    const since = mark(rig);
    for (const path of ['/auth/logout', '/auth/logout?federated=1', '/auth/refresh']) {
      for (const headers of refusals) {
        const response = await browser.call(rig.app, path, {
          method: 'POST',
          headers,
          body: headers['content-type'] ? 'a=1' : undefined,
        });
        const body = await assertJsonError(response, 403, 'csrf_failed');
        assert.equal(
          body.errorDescription,
          'This request must come from the app itself (same origin).',
        );
        assert.equal(
          response.headers.getSetCookie().length,
          0,
          `${path} ${JSON.stringify(headers)}`,
        );
      }
      // And never through GET (a link or an <img>).
      await assertJsonError(await browser.call(rig.app, path), 405, 'method_not_allowed');
    }
    assertNothingPersisted(rig, since, undefined);
    assert.deepEqual(rig.sessions.deleted, []);
    assert.deepEqual(rig.tokens.deleted, []);
    assert.deepEqual(await storedTokens(rig), tokensBefore, 'the token set is untouched');
    assert.equal((await browser.status(rig.app)).userId, 'user-1', 'still signed in');
    // Control: the app's own origin, a trusted origin and Sec-Fetch-Site: same-origin pass.
    assert.equal((await browser.post(rig.app, '/auth/refresh')).status, 200);
    assert.equal(
      (await browser.post(rig.app, '/auth/refresh', { origin: 'https://admin.example.com' }))
        .status,
      200,
    );
    const logout = await browser.call(rig.app, '/auth/logout', {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    assert.equal(logout.status, 200);
    assert.deepEqual(await browser.status(rig.app), { authenticated: false });
  });
});
