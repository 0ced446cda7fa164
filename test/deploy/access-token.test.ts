// auth.getAccessToken through real HTTP: two workers on one real redis-server, and one worker
// in memory. Refreshes go to the embedded provider, which counts them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedisTokenStore } from '../../src/deploy/index.js';
import { MemoryTokenStore } from '../../src/stores/memory.js';
import type { TokenStore } from '../../src/stores/types.js';
import { nowSeconds } from '../../src/tokens/token-set.js';
import { useRedis, useRedisAdmin } from '../helpers/redis.js';
import { Browser, useDevProvider, webProvider } from './support/fixtures.js';
import { startWorkers, type Worker } from './support/workers.js';

const MANY_LOGINS = { loginRateLimit: { max: 1000, windowSeconds: 60 } };

/** The session id behind the browser's cookie, as `worker` sees it. */
async function sessionIdOf(worker: Worker, browser: Browser): Promise<string> {
  const session = await worker.auth.getSession(
    new Request(browser.baseUrl, { headers: { cookie: browser.jar.header() ?? '' } }),
  );
  assert.ok(session, 'signed in');
  return session.sessionId;
}

/** Makes the stored access token expire in 5 seconds (within getAccessToken's 60 s margin). */
async function nearExpiry(store: TokenStore, sessionId: string): Promise<void> {
  const tokens = await store.load(sessionId);
  assert.ok(tokens);
  // Issued an hour ago: 5 s left is well inside any refresh buffer (capped at half the lifetime).
  await store.save(sessionId, {
    ...tokens,
    issuedAt: nowSeconds() - 3600,
    expiresAt: nowSeconds() + 5,
  });
}

async function tokenAnswer(browser: Browser, worker: Worker) {
  const response = await browser.call(worker.http, '/api/token');
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('auth.getAccessToken', () => {
  const dev = useDevProvider();
  const redis = useRedis();
  const admin = useRedisAdmin(redis);

  it('two workers on one Redis: 50 concurrent calls near expiry make one refresh at the provider', async () => {
    const { workers, baseUrl, close } = await startWorkers(dev(), 2, {
      redis: redis().url,
      keyPrefix: 'at1:',
      ...MANY_LOGINS,
    });
    try {
      const [one, two] = workers as [Worker, Worker];
      const browser = new Browser(baseUrl, '127.0.0.1');
      await browser.signIn(one.http, 'alice', { finishAt: two.http });
      const id = await sessionIdOf(one, browser);

      dev().resetCounters();
      const fresh = await tokenAnswer(browser, two);
      assert.equal(fresh.status, 200);
      assert.equal(dev().tokenRequests.refresh_token, 0, 'a fresh token is handed out as it is');
      assert.deepEqual(fresh.body.keys, ['accessToken', 'expiresAt', 'scopes', 'tokenType']);
      assert.equal(fresh.body.tokenType, 'Bearer');
      assert.ok((fresh.body.scopes as string[]).includes('openid'));

      await nearExpiry(new RedisTokenStore({ client: admin(), keyPrefix: 'at1:' }), id);
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => tokenAnswer(browser, i % 2 === 0 ? one : two)),
      );
      assert.deepEqual(
        answers.map((a) => a.status),
        Array(50).fill(200),
      );
      assert.equal(dev().tokenRequests.refresh_token, 1, 'one refresh at the provider');
      const fingerprints = new Set(answers.map((a) => a.body.fingerprint));
      assert.equal(fingerprints.size, 1, 'every call got the refreshed token');
      assert.notEqual([...fingerprints][0], fresh.body.fingerprint);
      assert.ok((answers[0]?.body.expiresAt as number) > nowSeconds() + 600);

      // Straight from the app's code: the same view, never the refresh token.
      const direct = await one.auth.getAccessToken(
        new Request(baseUrl, { headers: { cookie: browser.jar.header() ?? '' } }),
      );
      assert.ok(direct);
      assert.deepEqual(Object.keys(direct).sort(), [
        'accessToken',
        'expiresAt',
        'scopes',
        'tokenType',
      ]);
      assert.equal(dev().tokenRequests.refresh_token, 1);
      assert.equal((await dev().introspect(direct.accessToken)).active, true);
    } finally {
      await close();
    }
  });

  it('two workers on one Redis: a rejected refresh ends the session on both (reauth_required)', async () => {
    const { workers, baseUrl, close } = await startWorkers(dev(), 2, {
      redis: redis().url,
      keyPrefix: 'at2:',
      ...MANY_LOGINS,
    });
    try {
      const [one, two] = workers as [Worker, Worker];
      const browser = new Browser(baseUrl, '127.0.0.1');
      await browser.signIn(one.http, 'bob');
      const id = await sessionIdOf(two, browser);
      const store = new RedisTokenStore({ client: admin(), keyPrefix: 'at2:' });
      const tokens = await store.load(id);
      assert.ok(tokens?.refreshToken);
      // The provider forgets the grant (an admin() revoked it, or the user did at the provider).
      assert.equal(
        await webProvider(dev()).revokeToken(tokens.refreshToken, 'refresh_token'),
        true,
      );
      await nearExpiry(store, id);

      const refused = await tokenAnswer(browser, two);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error, 'reauth_required');
      for (const worker of [one, two]) {
        assert.equal((await browser.call(worker.http, '/api/me')).status, 401);
        assert.equal((await tokenAnswer(browser, worker)).body.error, 'not_authenticated');
      }
      assert.equal(await admin().exists(`at2:session:${id}`, `at2:tokens:${id}`), 0);
    } finally {
      await close();
    }
  });

  it('in memory: null when signed out, one refresh for concurrent calls, a rejected refresh ends the session', async () => {
    const tokenStore = new MemoryTokenStore();
    const { workers, baseUrl, close } = await startWorkers(dev(), 1, {
      tokenStore,
      ...MANY_LOGINS,
    });
    try {
      const [one] = workers as [Worker];
      const browser = new Browser(baseUrl, '127.0.0.1');
      assert.equal(
        await one.auth.getAccessToken(new Request(baseUrl)),
        null,
        'not signed in: null',
      );
      assert.equal((await tokenAnswer(browser, one)).status, 401);
      await browser.signIn(one.http, 'carol');
      const id = await sessionIdOf(one, browser);
      await nearExpiry(tokenStore, id);
      dev().resetCounters();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => tokenAnswer(browser, one)),
      );
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
      assert.equal(new Set(answers.map((a) => a.body.fingerprint)).size, 1);
      assert.equal(dev().tokenRequests.refresh_token, 1);

      const tokens = await tokenStore.load(id);
      assert.ok(tokens?.refreshToken);
      await webProvider(dev()).revokeToken(tokens.refreshToken, 'refresh_token');
      await nearExpiry(tokenStore, id);
      assert.equal((await tokenAnswer(browser, one)).body.error, 'reauth_required');
      assert.equal((await browser.call(one.http, '/api/me')).status, 401);
      assert.equal(await tokenStore.load(id), undefined, 'tokens deleted with the session');
    } finally {
      await close();
    }
  });
});
