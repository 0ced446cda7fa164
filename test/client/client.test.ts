// The browser client module against the real auth routes (its fetch goes to app.fetch through a
// cookie jar): state, events, and the automatic refresh before the access token expires.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type AuthState, createAuthClient } from '../../src/client/index.js';
import type { AuthApp } from '../../src/deploy/index.js';
import { Browser, makeApp, useDevProvider } from '../deploy/support/fixtures.js';

describe('authflow/client against the auth routes', () => {
  // Access tokens live 4 s: the 60 s buffer is capped at half the token's lifetime, so the
  // client refreshes about 2 s after sign-in.
  const dev = useDevProvider({ accessTokenTtl: 4 });
  let auth: AuthApp | undefined;
  after(() => auth?.close());

  it('loads the state, refreshes before expiry on its own, and signs out', async () => {
    auth = makeApp(dev());
    const app = auth;
    const browser = new Browser();
    await browser.signIn(app, 'alice');
    const events = new EventTarget();
    const seen: string[] = [];
    for (const name of ['auth:state-changed', 'auth:token-refresh', 'auth:logout']) {
      events.addEventListener(name, () => seen.push(name));
    }
    const client = createAuthClient({
      eventTarget: events,
      refreshBufferSeconds: 60,
      fetch: (input, init) => {
        const method = init?.method ?? 'GET';
        return browser.call(
          app,
          String(input),
          method === 'POST' ? { method, headers: { origin: browser.baseUrl } } : { method },
        );
      },
    });
    try {
      const states: AuthState[] = [];
      client.onAuthStateChange((state) => states.push(state));
      assert.equal(await client.isAuthenticated(), true);
      const first = await client.getState();
      assert.equal(first.userId, 'alice');
      const refreshes = dev().tokenRequests.refresh_token;
      const refreshed = new Promise((resolve) =>
        events.addEventListener('auth:token-refresh', resolve, { once: true }),
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        refreshed,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no automatic refresh within 8 s')), 8000);
        }),
      ]);
      clearTimeout(timer);
      assert.equal(dev().tokenRequests.refresh_token, refreshes + 1);
      await client.logout();
      assert.equal((await client.getState()).authenticated, false);
      assert.deepEqual(
        seen.filter((name) => name !== 'auth:state-changed'),
        ['auth:token-refresh', 'auth:logout'],
      );
      assert.equal(states.at(-1)?.authenticated, false);
      assert.deepEqual(await browser.status(app), { authenticated: false });
    } finally {
      client.dispose();
    }
  });
});
