/**
 * Issue 8 §3, same-origin check: a plain HTML form posted from a page served with
 * `Referrer-Policy: no-referrer` (helmet's default, and `authflow serve`'s page) arrives with
 * `Origin: null` and `Sec-Fetch-Site: same-origin`. Real headless Chromium, real HTTP server.
 *
 * Ids: R8-DEP-02a, R8-DEP-02b, R8-DEP-02c.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthApp } from '../../src/deploy/index.js';
import { serve } from '../../src/node/index.js';
import { cliEnv, startCli, tempConfigDir } from '../cli/harness.js';
import { signInAtDevProvider, useBrowser, withPage } from '../helpers/browser.js';
import { DeployBrowser, deployRig, SESSION_COOKIE, signIn } from './support/deploy-rig.js';
import { useHostileProvider } from './support/hostile-fixture.js';

const hostile = useHostileProvider();

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** A page with a plain Sign out form posting to `action`. */
function formPage(action: string): Response {
  return new Response(
    `<!DOCTYPE html><html><body><form method="post" action="${action}"><button id="out" type="submit">Sign out</button></form></body></html>`,
    { headers: PAGE_HEADERS },
  );
}

/** The CSRF-relevant headers of every POST the server saw. */
type Seen = { path: string; origin: string | null; fetchSite: string | null; status: number };

/** Serves `/` (the form page) and the auth app on a real loopback server. */
async function startSite(): Promise<{
  url: string;
  rig: ReturnType<typeof deployRig>;
  seen: Seen[];
  close(): Promise<void>;
}> {
  let app: AuthApp | undefined;
  const seen: Seen[] = [];
  const running = await serve({
    async fetch(request, env) {
      const path = new URL(request.url).pathname;
      if (path === '/' || app === undefined) return formPage('/auth/logout');
      if (path === '/sandboxed') {
        // The app's own origin, but a sandboxed document: its origin is opaque.
        const page = formPage('/auth/logout');
        page.headers.set('content-security-policy', 'sandbox allow-forms');
        return page;
      }
      const response = await app.fetch(request, env);
      if (request.method === 'POST') {
        seen.push({
          path,
          origin: request.headers.get('origin'),
          fetchSite: request.headers.get('sec-fetch-site'),
          status: response.status,
        });
      }
      return response;
    },
  });
  const rig = deployRig(hostile(), { baseUrl: running.url });
  app = rig.app;
  return { url: running.url, rig, seen, close: () => running.close() };
}

describe('same-origin check with real forms (issue 8)', () => {
  const browser = useBrowser();

  it('R8-DEP-02a a Sign out form on a no-referrer page of the app signs out (Origin: null + Sec-Fetch-Site: same-origin)', async () => {
    const site = await startSite();
    try {
      const user = new DeployBrowser('127.0.0.1', site.url);
      await signIn(site.rig, user);
      await withPage(browser(), async (page, context) => {
        await context.addCookies([
          { name: SESSION_COOKIE, value: user.sessionCookie as string, url: site.url },
        ]);
        await page.goto(`${site.url}/`);
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.url() === `${site.url}/auth/logout`),
          page.click('#out'),
        ]);
        assert.deepEqual(site.seen.at(-1), {
          path: '/auth/logout',
          origin: 'null',
          fetchSite: 'same-origin',
          status: 200,
        });
        assert.equal(response.status(), 200);
        assert.deepEqual(await response.json(), { success: true });
        const left = await context.cookies(site.url);
        assert.equal(
          left.some((c) => c.name === SESSION_COOKIE),
          false,
          'the cookie is cleared',
        );
      });
      assert.deepEqual(await user.status(site.rig.app), { authenticated: false }, 'session ended');
    } finally {
      await site.close();
    }
  });

  it('R8-DEP-02b the same form on another origin, or in a sandboxed document (Origin: null, Sec-Fetch-Site: cross-site), is still refused', async () => {
    const site = await startSite();
    // Another origin (another site, even): localhost vs 127.0.0.1, same port.
    const foreign = await serve({ fetch: () => formPage(`${site.url}/auth/logout`) });
    try {
      const user = new DeployBrowser('127.0.0.1', site.url);
      await signIn(site.rig, user);
      await withPage(browser(), async (page, context) => {
        await context.addCookies([
          { name: SESSION_COOKIE, value: user.sessionCookie as string, url: site.url },
        ]);
        await page.goto(foreign.url.replace('127.0.0.1', 'localhost'));
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.url() === `${site.url}/auth/logout`),
          page.click('#out'),
        ]);
        assert.equal(response.status(), 403);
        // A form post is a page navigation: the refusal comes as the HTML error page.
        assert.match(response.headers()['content-type'] ?? '', /^text\/html/);
        assert.match(await response.text(), /csrf_failed/);
        const last = site.seen.at(-1);
        assert.equal(last?.origin, 'null');
        assert.notEqual(last?.fetchSite, 'same-origin');
        // A sandboxed document served by the app itself (opaque origin).
        await page.goto(`${site.url}/sandboxed`);
        const [sandboxed] = await Promise.all([
          page.waitForResponse((r) => r.url() === `${site.url}/auth/logout`),
          page.click('#out'),
        ]);
        assert.equal(sandboxed.status(), 403);
        assert.equal(site.seen.at(-1)?.origin, 'null');
        assert.notEqual(site.seen.at(-1)?.fetchSite, 'same-origin');
      });
      assert.equal((await user.status(site.rig.app)).userId, 'user-1', 'still signed in');
    } finally {
      await foreign.close();
      await site.close();
    }
  });

  it('R8-DEP-02c the Sign out button of `authflow serve --dev` signs out and comes back to the page', async (t) => {
    const server = startCli(t, ['serve', '--dev'], cliEnv(await tempConfigDir(t)));
    const [, base] = await server.waitForStdout(
      /Serving deploy mode at (http:\/\/127\.0\.0\.1:\d+)\//,
    );
    await withPage(browser(), async (page, context) => {
      await signInAtDevProvider(page, `${base}/auth/login`);
      await page.goto(`${base}/`);
      assert.match((await page.textContent('body')) ?? '', /Signed in as alice/);
      assert.equal((await page.goto(`${base}/`))?.headers()['referrer-policy'], 'no-referrer');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${base}/auth/logout`),
        page.click('button[type=submit]'),
      ]);
      assert.equal(response.status(), 303);
      await page.waitForURL(`${base}/`);
      assert.match((await page.textContent('body')) ?? '', /Not signed in/);
      assert.equal(
        (await context.cookies(base)).some((c) => c.name === SESSION_COOKIE),
        false,
        'the session cookie is cleared',
      );
    });
    server.child.kill('SIGINT');
    assert.equal((await server.exit).code, 0);
  });
});
