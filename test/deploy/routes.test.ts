// The deploy routes driven through app.fetch with a real code exchange at the embedded dev
// provider (memory stores). No browser: the provider's forms are submitted over HTTP.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemorySessionStore, type PendingLogin } from '../../src/deploy/index.js';
import { MemoryTokenStore } from '../../src/stores/memory.js';
import { makeDue } from '../helpers/token-age.js';
import {
  BASE_URL,
  Browser,
  makeApp,
  SECRET,
  signInOverHttp,
  useDevProvider,
} from './support/fixtures.js';

/** A memory store that records what the routes ask of it. */
class RecordingStore extends MemorySessionStore {
  gets = 0;
  pending: PendingLogin[] = [];
  override async get(sessionId: string) {
    this.gets++;
    return super.get(sessionId);
  }
  override async putPendingLogin(login: PendingLogin, ttl: number) {
    this.pending.push(login);
    return super.putPendingLogin(login, ttl);
  }
}

describe('deploy routes (memory stores, real provider)', () => {
  const dev = useDevProvider({
    claims: (id) => ({ groups: id === 'dave' ? ['editors'] : [] }),
    clients: [
      {
        client_id: 'secure-web',
        client_secret: 'secure-web-secret-0123456789abcdef',
        redirect_uris: ['https://app.test/auth/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
  });
  const apps: { close(): Promise<void> }[] = [];
  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });
  const app = (options: Parameters<typeof makeApp>[1] = {}) => {
    const created = makeApp(dev(), options);
    apps.push(created);
    return created;
  };

  it('signs in: new session cookie with safe flags, redirect to returnTo, status and userinfo', async () => {
    const auth = app();
    const browser = new Browser();
    const authorizeUrl = await browser.startLogin(auth, '/dashboard?tab=1');
    const binding = [...browser.jar.cookies.keys()];
    assert.deepEqual(binding, ['authflow_session_login']);
    const { response } = await browser.signIn(auth, 'alice', { returnTo: '/dashboard?tab=1' });
    assert.ok(authorizeUrl.startsWith(dev().issuer));
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), '/dashboard?tab=1');
    const setCookie = response.headers.getSetCookie().join('\n');
    assert.match(
      setCookie,
      /^authflow_session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=86400$/m,
    );
    assert.doesNotMatch(setCookie, /Secure/, 'no Secure on a plain-http loopback baseUrl');
    const status = await browser.status(auth);
    const now = Math.floor(Date.now() / 1000);
    assert.deepEqual(Object.keys(status), [
      'authenticated',
      'userId',
      'roles',
      'expiresAt',
      'tokenExpiresAt',
    ]);
    assert.equal(status.authenticated, true);
    assert.equal(status.userId, 'alice');
    assert.deepEqual(status.roles, ['viewer']);
    assert.ok(
      Math.abs((status.expiresAt as number) - (now + 86_400)) <= 5,
      'session ends after sessionTtl',
    );
    assert.ok(
      Math.abs((status.tokenExpiresAt as number) - (now + 3600)) <= 5,
      'access token expiry',
    );
    const info = (await (await browser.call(auth, '/auth/userinfo')).json()) as Record<
      string,
      unknown
    >;
    assert.equal(info.userId, 'alice');
    assert.deepEqual(info.roles, ['viewer']);
    assert.equal((info.userInfo as Record<string, unknown>).email, 'alice@example.test');
  });

  it('binds the login cookie to the auth path with a 10-minute life', async () => {
    const response = await new Browser().call(app(), '/auth/login');
    const cookie = response.headers.getSetCookie()[0] ?? '';
    assert.match(
      cookie,
      /^authflow_session_login=[^;]+; Path=\/auth; HttpOnly; SameSite=Lax; Max-Age=600$/,
    );
  });

  it('sets Secure cookies when baseUrl is https', async () => {
    const auth = app({
      baseUrl: 'https://app.test',
      provider: new (await import('../../src/providers/oidc.js')).GenericOIDCProvider({
        issuerUrl: dev().issuer,
        clientId: 'secure-web',
        clientSecret: 'secure-web-secret-0123456789abcdef',
      }),
    });
    const browser = new Browser('https://app.test');
    const authorizeUrl = await browser.startLogin(auth);
    assert.deepEqual([...browser.jar.cookies.keys()], ['__Host-authflow_session_login']);
    const loginResponse = await new Browser('https://app.test').call(auth, '/auth/login');
    assert.match(
      loginResponse.headers.getSetCookie()[0] ?? '',
      /^__Host-authflow_session_login=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/,
    );
    assert.match(
      new URL(authorizeUrl).searchParams.get('redirect_uri') ?? '',
      /^https:\/\/app\.test\/auth\/callback$/,
    );
    const callbackUrl = await signInOverHttp(authorizeUrl, 'https://app.test/auth/callback');
    const url = new URL(callbackUrl);
    const response = await browser.call(auth, `${url.pathname}${url.search}`);
    assert.equal(response.status, 302);
    assert.match(
      response.headers.getSetCookie().join('\n'),
      /^__Host-authflow_session=.*; Path=\/; HttpOnly; SameSite=Lax; Max-Age=86400; Secure$/m,
    );
    assert.equal((await browser.status(auth)).authenticated, true);
  });

  it('gives a new session id at every login and ends the old session (no fixation)', async () => {
    const auth = app();
    const browser = new Browser();
    await browser.signIn(auth, 'alice');
    const first = browser.sessionCookie();
    assert.ok(first);
    await browser.signIn(auth, 'alice');
    const second = browser.sessionCookie();
    assert.ok(second && second !== first);
    const old = await auth.fetch(
      new Request(`${BASE_URL}/auth/status`, { headers: { cookie: `authflow_session=${first}` } }),
    );
    assert.deepEqual(await old.json(), { authenticated: false });
    // A cookie planted by an attacker is never adopted either.
    const victim = new Browser();
    victim.jar.cookies.set('authflow_session', 'attacker-chosen-id');
    await victim.signIn(auth, 'bob');
    assert.notEqual(victim.sessionCookie(), 'attacker-chosen-id');
    assert.equal((await victim.status(auth)).userId, 'bob');
  });

  it('lets several tabs of one browser log in at once', async () => {
    const auth = app();
    const browser = new Browser();
    const firstAuthorize = await browser.startLogin(auth, '/one');
    const secondAuthorize = await browser.startLogin(auth, '/two');
    const secondCallback = new URL(
      await signInOverHttp(secondAuthorize, `${BASE_URL}/auth/callback`, 'alice'),
    );
    const firstCallback = new URL(
      await signInOverHttp(firstAuthorize, `${BASE_URL}/auth/callback`, 'alice'),
    );
    const second = await browser.call(auth, `${secondCallback.pathname}${secondCallback.search}`);
    const first = await browser.call(auth, `${firstCallback.pathname}${firstCallback.search}`);
    assert.equal(second.headers.get('location'), '/two');
    assert.equal(first.headers.get('location'), '/one');
    assert.equal((await browser.status(auth)).authenticated, true);
  });

  it('refuses login CSRF: the attacker’s callback replayed in the victim’s browser creates nothing', async () => {
    const auth = app();
    const attacker = new Browser(BASE_URL, '10.0.0.66');
    const attackerAuthorize = await attacker.startLogin(auth);
    // The attacker signs in at the provider but does not deliver the callback in its own browser.
    const attackerCallback = new URL(
      await signInOverHttp(attackerAuthorize, `${BASE_URL}/auth/callback`, 'mallory'),
    );
    const exchangesBefore = dev().tokenRequests.authorization_code;
    for (const victim of [new Browser(), await startedBrowser(auth)]) {
      const response = await victim.call(
        auth,
        `${attackerCallback.pathname}${attackerCallback.search}`,
      );
      assert.equal(response.status, 400);
      const body = (await response.json()) as { error: string };
      assert.match(body.error, /^(login_binding_failed|invalid_state)$/);
      assert.equal(victim.sessionCookie(), undefined, 'no session cookie');
      assert.deepEqual(await victim.status(auth), { authenticated: false });
    }
    assert.equal(
      dev().tokenRequests.authorization_code,
      exchangesBefore,
      'the code was never exchanged',
    );
  });

  it('refuses a replayed callback', async () => {
    const auth = app();
    const browser = new Browser();
    const { callbackUrl } = await browser.signIn(auth, 'alice');
    const cookieAfterLogin = browser.sessionCookie();
    const exchanges = dev().tokenRequests.authorization_code;
    const url = new URL(callbackUrl);
    const replay = await browser.call(auth, `${url.pathname}${url.search}`);
    assert.equal(replay.status, 400);
    assert.equal(((await replay.json()) as { error: string }).error, 'invalid_state');
    assert.equal(replay.headers.getSetCookie().length, 0);
    assert.equal(browser.sessionCookie(), cookieAfterLogin);
    assert.equal(dev().tokenRequests.authorization_code, exchanges);
  });

  it('rejects tampered, foreign, oversized, duplicated and wrong-purpose cookies without a store lookup', async () => {
    const store = new RecordingStore();
    const auth = app({ sessionStore: store });
    const browser = new Browser();
    await browser.startLogin(auth);
    const binding = browser.jar.cookies.get('authflow_session_login') as string;
    await browser.signIn(auth, 'alice');
    const good = browser.sessionCookie() as string;
    const foreignApp = app({ secret: `${SECRET}-another-app` });
    const foreign = new Browser();
    await foreign.signIn(foreignApp, 'alice');
    const tampered = `${good.slice(0, 10)}${good[10] === 'x' ? 'y' : 'x'}${good.slice(11)}`;
    const cases: Record<string, string> = {
      tampered: `authflow_session=${tampered}`,
      foreign: `authflow_session=${foreign.sessionCookie()}`,
      'wrong purpose (login binding as session)': `authflow_session=${binding}`,
      oversized: `authflow_session=${good}${'A'.repeat(4000)}`,
      unsigned: `authflow_session=${good.split('.')[0]}`,
      'duplicated, none valid': `authflow_session=${tampered}; authflow_session=${foreign.sessionCookie()}`,
      garbage: 'authflow_session=%E0%A4%A; =;;',
    };
    store.gets = 0;
    for (const [name, cookie] of Object.entries(cases)) {
      for (const path of ['/auth/status', '/auth/userinfo']) {
        const response = await auth.fetch(
          new Request(`${BASE_URL}${path}`, { headers: { cookie } }),
        );
        assert.ok(
          response.status === 200 || response.status === 401,
          `${name} ${path}: ${response.status}`,
        );
        if (path === '/auth/status')
          assert.deepEqual(await response.json(), { authenticated: false }, name);
      }
      assert.equal(
        await auth.getSession(new Request(BASE_URL, { headers: { cookie } })),
        null,
        name,
      );
    }
    assert.equal(store.gets, 0, 'rejected before any store lookup');
    const ok = await auth.fetch(
      new Request(`${BASE_URL}/auth/status`, { headers: { cookie: `authflow_session=${good}` } }),
    );
    assert.equal(((await ok.json()) as { authenticated: boolean }).authenticated, true);
    assert.equal(store.gets, 1, 'one store read for a valid cookie');
  });

  it('keeps returnTo only when it is a same-origin path (every open-redirect variant dropped)', async () => {
    const store = new RecordingStore();
    const auth = app({ sessionStore: store, loginRateLimit: { max: 1000, windowSeconds: 60 } });
    const hostile = [
      '//evil.example/x',
      '/\\evil.example',
      '\\\\evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      '/\u0000/evil.example',
      'https://evil.example/',
      'javascript:alert(document.cookie)',
      'JaVaScRiPt:alert(1)',
      '%2F%2Fevil.example',
      '/%2F%2Fevil.example',
      '/%5Cevil.example',
      '/%252F%252Fevil.example',
      '/%09/evil.example',
      'http:%2F%2Fevil.example',
      '/%E0%A4%A',
      '',
    ];
    for (const returnTo of hostile) {
      store.pending = [];
      const response = await new Browser().call(
        auth,
        `/auth/login?returnTo=${encodeURIComponent(returnTo)}`,
      );
      assert.equal(response.status, 302, JSON.stringify(returnTo));
      assert.equal(store.pending[0]?.returnTo, undefined, `kept ${JSON.stringify(returnTo)}`);
    }
    store.pending = [];
    await new Browser().call(auth, '/auth/login?returnTo=%2Freports%3Fy%3D2024');
    assert.equal(store.pending[0]?.returnTo, '/reports?y=2024');
    // End to end: a hostile returnTo lands on afterLoginPath.
    const { response } = await new Browser().signIn(auth, 'alice', { returnTo: '//evil.example' });
    assert.equal(response.headers.get('location'), '/');
    const duplicate = await new Browser().call(auth, '/auth/login?returnTo=/a&returnTo=/b');
    assert.equal(duplicate.status, 400);
  });

  it('refuses cross-site and origin-less POSTs to logout and refresh', async () => {
    const auth = app({ trustedOrigins: ['https://admin.example.com'] });
    const browser = new Browser();
    await browser.signIn(auth, 'alice');
    const refusals: Record<string, string>[] = [
      {},
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: 'http://127.0.0.1:4101' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { referer: 'https://evil.example/page' },
    ];
    for (const path of ['/auth/logout', '/auth/refresh']) {
      for (const headers of refusals) {
        const response = await browser.call(auth, path, { method: 'POST', headers });
        assert.equal(response.status, 403, `${path} ${JSON.stringify(headers)}`);
        assert.deepEqual(await response.json(), {
          error: 'csrf_failed',
          errorDescription: 'This request must come from the app itself (same origin).',
        });
      }
    }
    assert.equal((await browser.status(auth)).authenticated, true, 'nothing happened');
    const trusted = await browser.post(auth, '/auth/refresh', {
      origin: 'https://admin.example.com',
    });
    assert.equal(trusted.status, 200);
    const sameOrigin = await browser.call(auth, '/auth/logout', {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    assert.equal(sameOrigin.status, 200);
    assert.equal((await browser.status(auth)).authenticated, false);
  });

  it('promotes admins by user id or verified email, and maps claims to roles', async () => {
    const auth = app({
      adminUsers: ['bob', 'carol@example.test'],
      rolesFromClaims: (claims) =>
        Array.isArray(claims.groups) && claims.groups.includes('editors') ? ['editor'] : [],
    });
    const roles = async (user: string) => {
      const browser = new Browser();
      await browser.signIn(auth, user);
      return (await browser.status(auth)).roles;
    };
    assert.deepEqual(await roles('alice'), ['viewer']);
    assert.deepEqual(await roles('bob'), ['viewer', 'admin']);
    assert.deepEqual(await roles('carol'), ['viewer', 'admin']);
    assert.deepEqual(await roles('dave'), ['viewer', 'editor']);
  });

  it('rate-limits logins per client IP', async () => {
    const auth = app({ loginRateLimit: { max: 3, windowSeconds: 60 } });
    const browser = new Browser(BASE_URL, '10.9.9.9');
    for (let i = 0; i < 3; i++) assert.equal((await browser.call(auth, '/auth/login')).status, 302);
    const limited = await browser.call(auth, '/auth/login');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '60');
    assert.equal(((await limited.json()) as { error: string }).error, 'rate_limited');
    assert.equal(
      (await new Browser(BASE_URL, '10.9.9.10').call(auth, '/auth/login')).status,
      302,
      'another IP is not limited',
    );
    // X-Forwarded-For is ignored unless trustProxy is set...
    const spoofed = await browser.call(auth, '/auth/login', {
      headers: { 'x-forwarded-for': '1.2.3.4' },
    });
    assert.equal(spoofed.status, 429);
    // ...and used (right-most entry) when it is.
    const proxied = app({ loginRateLimit: { max: 1, windowSeconds: 60 }, trustProxy: true });
    const viaProxy = (ip: string) =>
      browser.call(proxied, '/auth/login', { headers: { 'x-forwarded-for': `6.6.6.6, ${ip}` } });
    assert.equal((await viaProxy('7.7.7.7')).status, 302);
    assert.equal((await viaProxy('7.7.7.7')).status, 429);
    assert.equal((await viaProxy('8.8.8.8')).status, 302);
  });

  it('answers 502 and creates nothing when the token endpoint fails or hangs', async () => {
    const auth = app({ providerTimeout: 1 });
    for (const kind of ['status500', 'html', 'hang'] as const) {
      const browser = new Browser();
      const authorizeUrl = await browser.startLogin(auth);
      const callback = new URL(await signInOverHttp(authorizeUrl, `${BASE_URL}/auth/callback`));
      dev().setFault({ endpoint: 'token', kind });
      const started = Date.now();
      try {
        const response = await browser.call(auth, `${callback.pathname}${callback.search}`);
        assert.equal(response.status, 502, kind);
        const body = (await response.json()) as Record<string, string>;
        assert.deepEqual(Object.keys(body), ['error', 'errorDescription']);
        assert.doesNotMatch(JSON.stringify(body), /html|stack|at \w+ \(|server_error/i);
      } finally {
        dev().setFault(null);
      }
      assert.ok(Date.now() - started < 4000, `${kind} bounded`);
      assert.equal(browser.sessionCookie(), undefined);
      assert.deepEqual(await browser.status(auth), { authenticated: false });
    }
  });

  it('answers 502 and creates nothing when userinfo fails', async () => {
    const auth = app();
    const browser = new Browser();
    const callback = new URL(
      await signInOverHttp(await browser.startLogin(auth), `${BASE_URL}/auth/callback`),
    );
    dev().setFault({ endpoint: 'userinfo', kind: 'status500' });
    try {
      const response = await browser.call(auth, `${callback.pathname}${callback.search}`);
      assert.equal(response.status, 502);
    } finally {
      dev().setFault(null);
    }
    assert.equal(browser.sessionCookie(), undefined);
  });

  it('reports provider errors in its own words, and checks state before trusting them', async () => {
    const auth = app();
    const browser = new Browser();
    const state = new URL(await browser.startLogin(auth)).searchParams.get('state') as string;
    const markup = encodeURIComponent('<script>alert(1)</script>');
    const forged = await new Browser().call(
      auth,
      `/auth/callback?error=access_denied&error_description=${markup}&state=${state}`,
    );
    assert.equal(forged.status, 400);
    assert.equal(
      ((await forged.json()) as { error: string }).error,
      'login_binding_failed',
      'wrong browser: a callback error',
    );
    const response = await browser.call(
      auth,
      `/auth/callback?error=access_denied&error_description=${markup}&state=${state}`,
    );
    assert.equal(response.status, 400);
    const text = await response.text();
    assert.equal(JSON.parse(text).error, 'provider_error');
    assert.match(JSON.parse(text).errorDescription, /access_denied/);
    assert.doesNotMatch(text, /<script|alert/);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  });

  it('answers malformed requests with 4xx JSON, never 5xx', async () => {
    const auth = app();
    const browser = new Browser();
    const state = new URL(await browser.startLogin(auth)).searchParams.get('state') as string;
    const cases: [string, RequestInit, number][] = [
      [`/auth/callback?state=${state}&state=${state}&code=x`, {}, 400],
      [`/auth/callback?state=${state}&code=a&code=b`, {}, 400],
      ['/auth/callback?code=abc', {}, 400],
      ['/auth/callback', {}, 400],
      [`/auth/callback?state=%FF%FE&code=%C0%AF`, {}, 400],
      [`/auth/callback?state=${'s'.repeat(9000)}`, {}, 400],
      ['/auth/callback?state=unknown-state&code=x', {}, 400],
      ['/auth/nope', {}, 404],
      ['/auth', {}, 404],
      ['/auth/login', { method: 'POST', headers: { origin: BASE_URL } }, 405],
      ['/auth/logout', { method: 'GET' }, 405],
      ['/auth/status', { headers: { cookie: `authflow_session=${'%'.repeat(10_000)}` } }, 200],
    ];
    for (const [path, init, expected] of cases) {
      const response = await browser.call(auth, path, init);
      assert.equal(response.status, expected, path.slice(0, 80));
      const body = (await response.json()) as Record<string, unknown>;
      if (expected !== 200) assert.deepEqual(Object.keys(body), ['error', 'errorDescription']);
    }
    // The pending login survives garbage aimed at other states: the real callback still completes.
    const callback = new URL(
      await signInOverHttp(
        `${dev().issuer}/auth?${new URLSearchParams(await authorizeParams(browser, auth))}`,
        `${BASE_URL}/auth/callback`,
      ),
    );
    const done = await browser.call(auth, `${callback.pathname}${callback.search}`);
    assert.equal(done.status, 302);
  });

  it('collapses concurrent refreshes into one, saves rotated tokens, and forces a new login on invalid_grant', async () => {
    const tokens = new MemoryTokenStore();
    const auth = app({ tokenStore: tokens });
    const browser = new Browser();
    await browser.signIn(auth, 'alice');
    const [sessionId] = await tokens.listKeys();
    const before = await makeDue(tokens, sessionId as string);
    const refreshes = dev().tokenRequests.refresh_token;
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => browser.post(auth, '/auth/refresh')),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200, 200, 200],
    );
    assert.equal(dev().tokenRequests.refresh_token, refreshes + 1, 'one refresh at the provider');
    const body = (await answers[0]?.json()) as Record<string, unknown>;
    assert.equal(body.success, true);
    assert.equal(body.tokenType, 'Bearer');
    assert.equal(typeof body.expiresAt, 'number');
    const rotated = await tokens.load(sessionId as string);
    assert.notEqual(rotated?.refreshToken, before?.refreshToken, 'rotated refresh token saved');
    await makeDue(tokens, sessionId as string);
    assert.equal(
      (await browser.post(auth, '/auth/refresh')).status,
      200,
      'the rotated token works (the old one was never sent again)',
    );
    // The provider forgets the grant: the refresh answers 401 and the session ends.
    const current = await makeDue(tokens, sessionId as string);
    await webProviderRevoke(current?.refreshToken as string);
    const rejected = await browser.post(auth, '/auth/refresh');
    assert.equal(rejected.status, 401);
    assert.equal(((await rejected.json()) as { error: string }).error, 'reauth_required');
    assert.equal(browser.sessionCookie(), undefined, 'cookie cleared');
    assert.equal(await tokens.load(sessionId as string), undefined);
  });

  it('logs out: revokes at the provider, deletes session and tokens, clears the cookie; federated gives the end-session URL', async () => {
    const tokens = new MemoryTokenStore();
    const auth = app({ tokenStore: tokens, afterLogoutPath: '/bye' });
    const browser = new Browser();
    await browser.signIn(auth, 'alice');
    const [sessionId] = await tokens.listKeys();
    const set = await tokens.load(sessionId as string);
    assert.equal((await dev().introspect(set?.accessToken as string)).active, true);
    const response = await browser.post(auth, '/auth/logout?federated=1');
    assert.equal(response.status, 200);
    const body = (await response.json()) as { success: boolean; endSessionUrl: string };
    assert.equal(body.success, true);
    const endSession = new URL(body.endSessionUrl);
    assert.ok(endSession.href.startsWith(dev().issuer));
    assert.equal(endSession.searchParams.get('id_token_hint'), set?.idToken);
    assert.equal(endSession.searchParams.get('post_logout_redirect_uri'), `${BASE_URL}/bye`);
    assert.match(
      response.headers.getSetCookie()[0] ?? '',
      /^authflow_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0/,
    );
    assert.equal(
      (await dev().introspect(set?.accessToken as string)).active,
      false,
      'access token revoked',
    );
    assert.equal(
      (await dev().introspect(set?.refreshToken as string)).active,
      false,
      'refresh token revoked',
    );
    assert.deepEqual(await tokens.listKeys(), []);
    assert.deepEqual(await browser.status(auth), { authenticated: false });
    const again = await browser.post(auth, '/auth/logout');
    assert.deepEqual(await again.json(), { success: true });
  });

  async function startedBrowser(auth: ReturnType<typeof app>): Promise<Browser> {
    // A victim in the middle of its own login: it holds a valid binding cookie of its own.
    const victim = new Browser();
    await victim.startLogin(auth);
    return victim;
  }

  async function authorizeParams(
    browser: Browser,
    auth: ReturnType<typeof app>,
  ): Promise<Record<string, string>> {
    return Object.fromEntries(new URL(await browser.startLogin(auth)).searchParams);
  }

  async function webProviderRevoke(token: string): Promise<void> {
    const { webProvider } = await import('./support/fixtures.js');
    assert.equal(await webProvider(dev()).revokeToken(token, 'refresh_token'), true);
  }
});
