// Real headless Chromium signing in through the dev provider's login pages into the demo app
// (examples/web): with memory stores, and with two workers sharing a real redis-server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startWebExample, type WebExample } from '../../examples/web/app.js';
import { signInAtDevProvider, useBrowser, withPage } from '../helpers/browser.js';
import { useRedis } from '../helpers/redis.js';

async function withExample<T>(
  options: Parameters<typeof startWebExample>[0],
  fn: (example: WebExample) => Promise<T>,
) {
  const example = await startWebExample(options);
  try {
    return await fn(example);
  } finally {
    await example.close();
  }
}

describe('deploy mode in a real browser', () => {
  const browser = useBrowser();
  const redis = useRedis();

  it('signs in with memory stores; cookie flags; the client module reads, refreshes and ends the session', async () => {
    await withExample({}, (example) =>
      withPage(browser(), async (page, context) => {
        await signInAtDevProvider(page, `${example.url}/private`, { username: 'alice' });
        assert.equal(page.url(), `${example.url}/private`);
        assert.match(
          (await page.textContent('#private')) ?? '',
          /Hello alice\. Your email: alice@example\.test/,
        );
        const cookies = await context.cookies(example.url);
        const session = cookies.find((c) => c.name === 'authflow_session');
        assert.ok(session, 'session cookie set');
        assert.equal(session.httpOnly, true);
        assert.equal(session.sameSite, 'Lax');
        assert.equal(session.path, '/');
        assert.equal(session.secure, false);
        const binding = (await context.cookies(`${example.url}/auth/callback`)).find(
          (c) => c.name === 'authflow_session_login',
        );
        assert.equal(binding?.path, '/auth');
        assert.equal(binding?.httpOnly, true);
        assert.equal(
          await page.evaluate(() => document.cookie),
          '',
          'no cookie readable by scripts',
        );

        const result = await page.evaluate(async () => {
          const client = await import('/authflow/client.js' as string);
          const events: string[] = [];
          for (const name of ['auth:state-changed', 'auth:token-refresh', 'auth:logout']) {
            window.addEventListener(name, () => events.push(name));
          }
          const before = await client.getState();
          const refreshed = await client.refresh();
          await client.logout();
          const after = await client.reload();
          return { before, refreshed, after, events };
        });
        assert.equal(result.before.authenticated, true);
        assert.equal(result.before.userId, 'alice');
        assert.deepEqual(result.before.roles, ['viewer']);
        assert.equal(typeof result.refreshed.tokenExpiresAt, 'number');
        assert.equal(result.after.authenticated, false);
        assert.ok(result.events.includes('auth:token-refresh'));
        assert.ok(result.events.includes('auth:logout'));
        assert.ok(result.events.includes('auth:state-changed'));
        await page.goto(`${example.url}/private`);
        assert.ok(
          page.url().startsWith(example.dev.issuer),
          'signed out: the protected page sends to the provider',
        );
      }),
    );
  });

  it('refuses the attacker’s callback replayed in the victim’s browser (login CSRF)', async () => {
    await withExample({}, async (example) => {
      const callbackUrl = await withPage(browser(), async (attacker, context) => {
        // The attacker signs in at the provider but never delivers the callback to the app.
        await context.route(`${example.url}/auth/callback**`, (route) => route.abort());
        return signInAtDevProvider(attacker, `${example.url}/auth/login`, {
          username: 'mallory',
          waitUntil: 'redirect',
        });
      });
      await withPage(browser(), async (victim, context) => {
        await victim.goto(`${example.url}/`);
        const response = await victim.goto(callbackUrl);
        assert.ok(response);
        assert.equal(response.status(), 400);
        assert.equal(await victim.textContent('#code'), 'login_binding_failed'); // the error page
        assert.equal(
          (await context.cookies(example.url)).some((c) => c.name === 'authflow_session'),
          false,
        );
        await victim.goto(`${example.url}/`);
        assert.ok(await victim.$('#anonymous'), 'the victim is not signed in as the attacker');
      });
    });
  });

  it('signs in through two workers sharing Redis, taking requests in turn; logout ends it on both', async () => {
    await withExample({ redis: redis().url, workers: 2 }, (example) =>
      withPage(browser(), async (page) => {
        await signInAtDevProvider(page, `${example.url}/private`, { username: 'admin' });
        assert.match((await page.textContent('#private')) ?? '', /Hello admin/);
        for (let i = 0; i < 2; i++) {
          await page.goto(`${example.url}/admin`);
          assert.equal(await page.textContent('#admin'), 'Only admins see this.', `worker ${i}`);
        }
        const me = () => page.evaluate(async () => (await fetch('/api/me')).status);
        assert.deepEqual([await me(), await me()], [200, 200]);
        await page.goto(`${example.url}/`);
        await page.click('#logout');
        await page.waitForSelector('#anonymous');
        assert.deepEqual([await me(), await me()], [401, 401], 'both workers see the logout');
      }),
    );
  });
});
