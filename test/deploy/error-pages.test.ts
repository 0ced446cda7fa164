// Refusals as a person sees them: browser navigations get a small, safe HTML page, API
// requests keep JSON. Over real HTTP (authflow/node) with a real sign-in at the dev provider,
// and the 403 page of the demo app (examples/web) in headless Chromium.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Hono } from 'hono';
import { startWebExample } from '../../examples/web/app.js';
import { PAGE_STYLE, PAGE_STYLE_HASH } from '../../src/deploy/error-page.js';
import {
  type AuthApp,
  type AuthEnv,
  createAuthApp,
  MemorySessionStore,
} from '../../src/deploy/index.js';
import { type RunningServer, serve } from '../../src/node/index.js';
import { signInAtDevProvider, useBrowser, withPage } from '../helpers/browser.js';
import { httpRequest, type RawResponse } from '../helpers/http.js';
import { SECRET, signInOverHttp, useDevProvider, webProvider } from './support/fixtures.js';

const NAVIGATE = { 'sec-fetch-mode': 'navigate', accept: 'text/html,application/xhtml+xml' };
const HOSTILE_ROLE = '<img src=x onerror=alert(1)>"';

/** A session store that can be switched off, as a Redis that went away. */
class SwitchableStore extends MemorySessionStore {
  down = false;
  override async get(sessionId: string) {
    if (this.down) throw new Error('connection refused');
    return super.get(sessionId);
  }
}

function cookiesOf(response: RawResponse): string {
  const set = response.headers['set-cookie'] ?? [];
  return (Array.isArray(set) ? set : [set]).map((c) => c.split(';')[0]).join('; ');
}

function assertPage(response: RawResponse, status: number, code: string) {
  assert.equal(response.status, status, response.body);
  assert.match(String(response.headers['content-type']), /^text\/html; charset=utf-8/);
  const csp = String(response.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.ok(csp.includes(`style-src '${PAGE_STYLE_HASH}'`), csp);
  assert.doesNotMatch(csp, /unsafe-inline|script-src/);
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  assert.equal(response.headers['x-frame-options'], 'DENY');
  assert.match(response.body, new RegExp(`<code id="code">${code}</code>`));
  assert.doesNotMatch(response.body, /<script/i);
}

describe('deploy error pages over real HTTP', () => {
  const dev = useDevProvider();
  let server: RunningServer;
  let auth: AuthApp;
  let port: number;
  const store = new SwitchableStore();
  before(async () => {
    let app: Hono<AuthEnv> | undefined;
    server = await serve({
      fetch: (request, env) => app?.fetch(request, env) ?? new Response(null, { status: 503 }),
    });
    port = Number(new URL(server.url).port);
    auth = createAuthApp({
      provider: webProvider(dev()),
      secret: SECRET,
      baseUrl: server.url,
      sessionStore: store,
    });
    app = new Hono<AuthEnv>();
    app.use(auth.middleware());
    app.get('/admin', auth.requireRole(HOSTILE_ROLE), (c) => c.text('admin'));
    app.on(['GET', 'POST'], '/private', auth.requireAuth(), (c) => c.text('private'));
  });
  after(async () => {
    await server?.close();
    await auth?.close();
  });

  async function signIn(username: string): Promise<string> {
    const login = await httpRequest(port, '/auth/login', { headers: NAVIGATE });
    assert.equal(login.status, 302);
    const callbackUrl = new URL(
      await signInOverHttp(String(login.headers.location), `${server.url}/auth/callback`, username),
    );
    const done = await httpRequest(port, `${callbackUrl.pathname}${callbackUrl.search}`, {
      headers: { ...NAVIGATE, cookie: cookiesOf(login) },
    });
    assert.equal(done.status, 302, done.body);
    return cookiesOf(done);
  }

  it('403 on a page: what happened, escaped, with the way home and to another account', async () => {
    const cookie = await signIn('alice');
    const page = await httpRequest(port, '/admin?q=%22%3E%3Cb%3E', {
      headers: { ...NAVIGATE, cookie },
    });
    assertPage(page, 403, 'forbidden');
    assert.match(page.body, /<h1>You do not have access to this page<\/h1>/);
    assert.ok(!page.body.includes(HOSTILE_ROLE), 'role names are escaped');
    assert.match(page.body, /This needs one of the roles: &#60;img src&#61;x/);
    assert.match(page.body, /<a id="home" href="\/">/);
    // Back to this very page after signing in; the query is URL-encoded, then HTML-escaped.
    assert.match(
      page.body,
      /<a id="sign-in" href="&#47;auth&#47;login\?returnTo&#61;%2Fadmin%3Fq%3D%2522%253E%253Cb%253E">Sign in as someone else<\/a>/,
    );

    const api = await httpRequest(port, '/admin', {
      headers: { 'sec-fetch-mode': 'cors', accept: 'text/html, */*', cookie },
    });
    assert.equal(api.status, 403);
    assert.match(String(api.headers['content-type']), /^application\/json/);
    assert.equal(JSON.parse(api.body).error, 'forbidden');
  });

  it('a failed callback: "Sign-in did not complete" with "Sign in again"; JSON for API calls', async () => {
    const page = await httpRequest(port, '/auth/callback?state=abc&code=x', { headers: NAVIGATE });
    assertPage(page, 400, 'login_binding_failed');
    assert.match(page.body, /<h1>Sign-in did not complete<\/h1>/);
    assert.match(page.body, /not started in this browser/);
    assert.match(page.body, /<a id="sign-in" href="&#47;auth&#47;login">Sign in again<\/a>/);

    // An older browser without Sec-Fetch-*: Accept decides.
    const old = await httpRequest(port, '/auth/callback', { headers: { accept: 'text/html' } });
    assertPage(old, 400, 'invalid_state');

    const apiHeaders: Record<string, string>[] = [
      { accept: 'application/json' },
      {},
      { 'sec-fetch-mode': 'no-cors' },
    ];
    for (const headers of apiHeaders) {
      const api = await httpRequest(port, '/auth/callback', { headers });
      assert.equal(api.status, 400);
      assert.match(String(api.headers['content-type']), /^application\/json/);
      assert.deepEqual(Object.keys(JSON.parse(api.body)), ['error', 'errorDescription']);
    }
  });

  it('401 on a page: "Please sign in"; GET pages still go straight to the login', async () => {
    const userinfo = await httpRequest(port, '/auth/userinfo', { headers: NAVIGATE });
    assertPage(userinfo, 401, 'not_authenticated');
    assert.match(userinfo.body, /<h1>Please sign in<\/h1>/);
    assert.match(userinfo.body, /<a id="sign-in" href="&#47;auth&#47;login">Sign in<\/a>/);

    const posted = await httpRequest(port, '/private', { method: 'POST', headers: NAVIGATE });
    assertPage(posted, 401, 'not_authenticated');

    const get = await httpRequest(port, '/private', { headers: NAVIGATE });
    assert.equal(get.status, 302);
    assert.equal(get.headers.location, '/auth/login?returnTo=%2Fprivate');

    const api = await httpRequest(port, '/private', { headers: { 'sec-fetch-mode': 'cors' } });
    assert.equal(api.status, 401);
    assert.equal(JSON.parse(api.body).error, 'not_authenticated');
  });

  it('a store that is down: "Temporarily unavailable", try this page again, never another site', async () => {
    const cookie = await signIn('carol');
    store.down = true;
    try {
      const page = await httpRequest(port, '/private?a=1', { headers: { ...NAVIGATE, cookie } });
      assertPage(page, 503, 'store_unavailable');
      assert.equal(page.headers['retry-after'], '1');
      assert.match(page.body, /<h1>Temporarily unavailable<\/h1>/);
      assert.match(page.body, /<a id="try-again" href="&#47;private\?a&#61;1">Try again<\/a>/);
      // `//evil.example/x` would be another site as a link: the page offers "/" instead.
      const odd = await httpRequest(port, '//evil.example/x', { headers: { ...NAVIGATE, cookie } });
      assertPage(odd, 503, 'store_unavailable');
      assert.match(odd.body, /<a id="try-again" href="&#47;">Try again<\/a>/);
      assert.doesNotMatch(odd.body, /evil/);
    } finally {
      store.down = false;
    }
  });

  it('the CSP hash is the hash of the style the page carries', () => {
    const hash = createHash('sha256').update(PAGE_STYLE).digest('base64');
    assert.equal(PAGE_STYLE_HASH, `sha256-${hash}`);
  });
});

describe('deploy error pages in a real browser', () => {
  const browser = useBrowser();

  it('the demo app: a signed-in non-admin sees the 403 page, styled under its CSP, and goes home', async () => {
    const example = await startWebExample();
    try {
      await withPage(browser(), async (page) => {
        const problems: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(message.text());
        });
        await signInAtDevProvider(page, `${example.url}/private`, { username: 'alice' });
        const response = await page.goto(`${example.url}/admin`);
        assert.equal(response?.status(), 403);
        assert.equal(await page.textContent('h1'), 'You do not have access to this page');
        assert.equal(await page.textContent('#description'), 'This needs one of the roles: admin.');
        // The inline style ran under the CSP: its hash matches.
        assert.equal(await page.evaluate(() => getComputedStyle(document.body).maxWidth), '576px');
        await page.click('#home');
        await page.waitForSelector('#user');
        assert.equal(page.url(), `${example.url}/`);
        // The app's own scripts asking for the same URL get JSON.
        const api = await page.evaluate(async () => {
          const r = await fetch('/admin');
          return { status: r.status, type: r.headers.get('content-type'), body: await r.json() };
        });
        assert.equal(api.status, 403);
        assert.match(api.type ?? '', /^application\/json/);
        assert.equal(api.body.error, 'forbidden');

        assert.deepEqual(
          problems.filter((text) => /Content Security Policy/i.test(text)),
          [],
        );
      });
    } finally {
      await example.close();
    }
  });
});
