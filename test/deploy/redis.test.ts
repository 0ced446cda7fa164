// Deploy mode over a real redis-server: two app instances sharing it, one round trip per
// protected request, Redis killed and restarted mid-test.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { type AuthApp, type AuthEnv, RedisTokenStore } from '../../src/deploy/index.js';
import { useRedis } from '../helpers/redis.js';
import { makeDue } from '../helpers/token-age.js';
import { BASE_URL, Browser, makeApp, useDevProvider } from './support/fixtures.js';

describe('deploy mode over Redis (real redis-server)', () => {
  const dev = useDevProvider();
  const redis = useRedis();
  const apps: AuthApp[] = [];
  let admin: Redis;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  before(() => {
    admin = new Redis(redis().url, { maxRetriesPerRequest: 1, lazyConnect: true });
    admin.on('error', () => {});
    process.on('unhandledRejection', onUnhandled);
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    admin.disconnect();
    await Promise.all(apps.map((app) => app.close()));
  });
  const app = (options: Parameters<typeof makeApp>[1] = {}) => {
    const created = makeApp(dev(), { redis: redis().url, ...options });
    apps.push(created);
    return created;
  };

  it('shares logins, sessions, logout and refresh locks between two instances', async () => {
    const one = app();
    const two = app();
    const browser = new Browser();
    const { response } = await browser.signIn(one, 'alice', { returnTo: '/home', finishAt: two });
    assert.equal(response.status, 302, 'callback finished on the other instance');
    assert.equal(response.headers.get('location'), '/home');
    assert.equal((await browser.status(one)).userId, 'alice');
    assert.equal((await browser.status(two)).userId, 'alice');
    const sessionKeys = await admin.keys('authflow:session:*');
    assert.equal(sessionKeys.length, 1);
    const ttl = await admin.ttl(sessionKeys[0] as string);
    assert.ok(ttl > 86_000 && ttl <= 86_400, 'session lives for sessionTtl');
    assert.ok(
      (await admin.ttl(`authflow:tokens:${(sessionKeys[0] as string).split(':').at(-1)}`)) > 86_000,
      'tokens live as long',
    );

    await makeDue(
      new RedisTokenStore({ client: admin }),
      (sessionKeys[0] as string).split(':').at(-1) as string,
    );
    const refreshes = dev().tokenRequests.refresh_token;
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => browser.post(i % 2 === 0 ? one : two, '/auth/refresh')),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200, 200, 200],
    );
    assert.equal(
      dev().tokenRequests.refresh_token,
      refreshes + 1,
      'one refresh across both workers',
    );
    assert.equal(
      await admin.exists(`authflow:lock:refresh:${(sessionKeys[0] as string).split(':').at(-1)}`),
      0,
      'lock released',
    );

    assert.equal((await browser.post(two, '/auth/logout')).status, 200);
    const stale = await one.fetch(
      new Request(`${BASE_URL}/auth/status`, {
        headers: { cookie: `authflow_session=${sessionKeys[0]?.split(':').at(-1)}` },
      }),
    );
    assert.deepEqual(await stale.json(), { authenticated: false });
    assert.deepEqual(await browser.status(one), { authenticated: false });
    assert.deepEqual(await admin.keys('authflow:session:*'), []);
    assert.deepEqual(await admin.keys('authflow:tokens:*'), []);
  });

  it('keeps the login single-use across instances (replay on the other worker fails)', async () => {
    const one = app();
    const two = app();
    const browser = new Browser();
    const { callbackUrl } = await browser.signIn(one, 'alice', { finishAt: one });
    const url = new URL(callbackUrl);
    const replay = await browser.call(two, `${url.pathname}${url.search}`);
    assert.equal(replay.status, 400);
    assert.deepEqual(await admin.keys('authflow:pending:*'), []);
  });

  it('reads a session with one Redis command per protected request', async () => {
    const auth = app();
    const hono = new Hono<AuthEnv>();
    hono.use(auth.middleware());
    hono.get('/private', auth.requireAuth(), auth.requirePermission('read'), (c) =>
      c.text(c.get('session')?.userId ?? ''),
    );
    const browser = new Browser();
    await browser.signIn(hono, 'alice');
    await admin.config('RESETSTAT');
    for (let i = 0; i < 20; i++)
      assert.equal(await (await browser.call(hono, '/private')).text(), 'alice');
    const stats = await admin.info('commandstats');
    const calls = Object.fromEntries(
      [...stats.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)].map((m) => [m[1], Number(m[2])]),
    );
    for (const name of Object.keys(calls)) if (/^(config|info)/.test(name)) delete calls[name];
    assert.deepEqual(calls, { get: 20 });
  });

  it('answers 503 quickly while Redis is down, stays up, and recovers when it is back', async () => {
    const auth = app();
    const hono = new Hono<AuthEnv>();
    hono.use(auth.middleware());
    hono.get('/private', auth.requireAuth(), (c) => c.text('ok'));
    const browser = new Browser();
    await browser.signIn(hono, 'alice');
    assert.equal(await (await browser.call(hono, '/private')).text(), 'ok');

    await redis().kill();
    try {
      for (const [path, init] of [
        ['/auth/status', {}],
        ['/auth/login', {}],
        ['/auth/userinfo', {}],
        ['/private', {}],
        ['/auth/refresh', { method: 'POST', headers: { origin: BASE_URL } }],
        ['/auth/logout', { method: 'POST', headers: { origin: BASE_URL } }],
      ] as const) {
        const started = Date.now();
        const response = await browser.call(hono, path, init);
        assert.equal(response.status, 503, path);
        assert.deepEqual(await response.json(), {
          error: 'store_unavailable',
          errorDescription: 'The session store is unavailable. Try again in a moment.',
        });
        assert.ok(Date.now() - started < 2500, `${path} answered in ${Date.now() - started} ms`);
      }
      await assert.rejects(
        auth.getSession(new Request(BASE_URL, { headers: { cookie: browser.jar.header() ?? '' } })),
        {
          code: 'store_error',
        },
      );
    } finally {
      await redis().restart();
    }
    // The restarted Redis is empty (no persistence): the old session is gone, a new login works.
    const deadline = Date.now() + 8000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await browser.call(hono, '/auth/status')).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 200, 'service resumed');
    const again = new Browser();
    await again.signIn(hono, 'alice');
    assert.equal(await (await again.call(hono, '/private')).text(), 'ok');
    assert.deepEqual(unhandled, [], 'no unhandled rejections');
  });

  it('answers 503 within the command timeout while Redis hangs, then recovers', async () => {
    const auth = app();
    const browser = new Browser();
    await browser.signIn(auth, 'alice');
    redis().pause();
    try {
      const started = Date.now();
      const response = await browser.call(auth, '/auth/status');
      assert.equal(response.status, 503);
      assert.ok(Date.now() - started < 3500, `answered in ${Date.now() - started} ms`);
    } finally {
      redis().resume();
    }
    assert.equal((await browser.status(auth)).userId, 'alice');
    assert.deepEqual(unhandled, []);
  });

  it('answers 503 quickly when Redis was never reachable', async () => {
    const auth = makeApp(dev(), { redis: 'redis://127.0.0.1:1' });
    apps.push(auth);
    const started = Date.now();
    const response = await new Browser().call(auth, '/auth/login');
    assert.equal(response.status, 503);
    assert.ok(Date.now() - started < 1000, `answered in ${Date.now() - started} ms`);
    assert.deepEqual(unhandled, []);
  });

  it('never hands the failed command’s arguments (a PKCE verifier, a token set) to onError', async () => {
    const reported: unknown[] = [];
    const one = app({ onError: (error) => reported.push(error) });
    await admin.connect().catch(() => {});
    // Every write is refused (OOM), and its ReplyError carries the command and its arguments.
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    try {
      const response = await new Browser().call(one, '/auth/login');
      assert.equal(response.status, 503);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    assert.equal(reported.length, 1);
    const text = inspect(reported[0], { depth: 20 });
    assert.match(text, /OOM/, 'the cause is still there');
    assert.match(
      text,
      /command: \{ name: 'eval' \}|command: \{ name: 'set' \}/,
      'the command’s name too',
    );
    assert.doesNotMatch(text, /codeVerifier|bindingHash|args/, 'but not its arguments');
  });
});
