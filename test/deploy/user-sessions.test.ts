// Sessions per user (listSessions / endSessions, "sign out everywhere") and the idle timeout,
// through real HTTP: two workers on one real redis-server, and one worker in memory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { touchInterval } from '../../src/deploy/idle.js';
import { useRedis, useRedisAdmin } from '../helpers/redis.js';
import { Browser, useDevProvider } from './support/fixtures.js';
import { startWorkers, type Worker } from './support/workers.js';

const MANY_LOGINS = { loginRateLimit: { max: 1000, windowSeconds: 60 } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function me(browser: Browser, worker: Worker): Promise<number> {
  const response = await browser.call(worker.http, '/api/me', {
    headers: { accept: 'application/json' },
  });
  await response.body?.cancel();
  return response.status;
}

/** The number of SET commands Redis has run so far. */
async function setCalls(admin: Redis): Promise<number> {
  const stats = await admin.info('commandstats');
  return Number(/cmdstat_set:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

describe('sessions per user and the idle timeout', () => {
  const dev = useDevProvider();
  const redis = useRedis();
  const admin = useRedisAdmin(redis);

  it('two workers on one Redis: a user’s sessions are listed and ended together on every worker', async () => {
    const { workers, baseUrl, close } = await startWorkers(dev(), 2, {
      redis: redis().url,
      keyPrefix: 'us1:',
      ...MANY_LOGINS,
    });
    try {
      const [one, two] = workers as [Worker, Worker];
      const laptop = new Browser(baseUrl, '127.0.0.1');
      const phone = new Browser(baseUrl, '127.0.0.1');
      const other = new Browser(baseUrl, '127.0.0.1');
      await laptop.signIn(one.http, 'alice');
      await phone.signIn(two.http, 'alice');
      await other.signIn(one.http, 'bob');

      const listed = await two.auth.listSessions('alice');
      assert.equal(listed.length, 2);
      assert.ok(listed.every((session) => session.userId === 'alice'));
      assert.ok((listed[0]?.createdAt ?? 0) <= (listed[1]?.createdAt ?? 0), 'oldest first');
      assert.deepEqual(await one.auth.listSessions('nobody'), []);

      // One session signed out normally disappears from the list.
      assert.equal((await laptop.post(one.http, '/auth/logout')).status, 200);
      assert.equal((await one.auth.listSessions('alice')).length, 1);
      await laptop.signIn(two.http, 'alice');

      assert.equal(await one.auth.endSessions('alice'), 2, 'sign out everywhere');
      for (const worker of [one, two]) {
        assert.equal(await me(laptop, worker), 401);
        assert.equal(await me(phone, worker), 401);
        assert.equal(await me(other, worker), 200, 'another user stays signed in');
      }
      assert.deepEqual(await two.auth.listSessions('alice'), []);
      assert.equal((await admin().keys('us1:tokens:*')).length, 1, "only bob's tokens are left");
      assert.equal(await two.auth.endSessions('alice'), 0);
    } finally {
      await close();
    }
  });

  it('in memory: listSessions and endSessions', async () => {
    const { workers, baseUrl, close } = await startWorkers(dev(), 1, MANY_LOGINS);
    try {
      const [one] = workers as [Worker];
      const a = new Browser(baseUrl, '127.0.0.1');
      const b = new Browser(baseUrl, '127.0.0.1');
      await a.signIn(one.http, 'alice');
      await b.signIn(one.http, 'alice');
      assert.equal((await one.auth.listSessions('alice')).length, 2);
      assert.equal(await one.auth.endSessions('alice'), 2);
      assert.equal(await me(a, one), 401);
      assert.equal(await me(b, one), 401);
      assert.deepEqual(await one.auth.listSessions('alice'), []);
    } finally {
      await close();
    }
  });

  it('touch interval: a tenth of idleTimeout, from 1 s to a minute', () => {
    assert.equal(touchInterval(2), 1);
    assert.equal(touchInterval(300), 30);
    assert.equal(touchInterval(1800), 60);
    assert.equal(touchInterval(86_400), 60);
  });

  for (const store of ['redis', 'memory'] as const) {
    it(`${store}: a session in use slides; unused for idleTimeout it ends, on every worker`, async () => {
      const count = store === 'redis' ? 2 : 1;
      const { workers, baseUrl, close } = await startWorkers(dev(), count, {
        ...(store === 'redis' ? { redis: redis().url, keyPrefix: `idle-${store}:` } : {}),
        idleTimeout: 4, // touched every second; 3 s of slack between requests on a busy machine
        ...MANY_LOGINS,
      });
      try {
        const browser = new Browser(baseUrl, '127.0.0.1');
        await browser.signIn((workers[0] as Worker).http, 'alice');
        // Used every 0.7 s for 6 s (longer than the idle timeout): still signed in.
        for (let i = 0; i < 9; i++) {
          assert.equal(await me(browser, workers[i % count] as Worker), 200, `request ${i}`);
          await sleep(700);
        }
        const [session] = await (workers[0] as Worker).auth.listSessions('alice');
        assert.ok(session?.lastActiveAt !== undefined);
        assert.ok(session.lastActiveAt > session.createdAt, 'the session was touched');
        // Then unused for longer than the idle timeout: ended.
        await sleep(4600);
        for (const worker of workers) assert.equal(await me(browser, worker), 401);
        assert.deepEqual(await (workers[0] as Worker).auth.listSessions('alice'), []);
        assert.equal(
          (await (workers[0] as Worker).auth.getSession(
            new Request(baseUrl, { headers: { cookie: browser.jar.header() ?? '' } }),
          )) ?? null,
          null,
        );
      } finally {
        await close();
      }
    });
  }

  it('redis: no store write per request, at most one touch per interval', async () => {
    const { workers, baseUrl, close } = await startWorkers(dev(), 2, {
      redis: redis().url,
      keyPrefix: 'touch:',
      idleTimeout: 600, // touch interval: 60 s
      ...MANY_LOGINS,
    });
    try {
      const browser = new Browser(baseUrl, '127.0.0.1');
      await browser.signIn((workers[0] as Worker).http, 'alice');
      const before = await setCalls(admin());
      const statuses = await Promise.all(
        Array.from({ length: 100 }, (_, i) => me(browser, workers[i % 2] as Worker)),
      );
      assert.deepEqual(new Set(statuses), new Set([200]));
      assert.equal(await setCalls(admin()), before, 'no SET for requests within the interval');

      // Make the session look last used 61 s ago: the next requests touch it once.
      const [key] = await admin().keys('touch:session:*');
      assert.ok(key);
      const stored = JSON.parse((await admin().get(key)) ?? '{}');
      stored.lastActiveAt -= 61;
      await admin().set(key, JSON.stringify(stored), 'KEEPTTL');
      const mark = await setCalls(admin());
      await Promise.all(Array.from({ length: 50 }, () => me(browser, workers[0] as Worker)));
      await sleep(100); // the touch is written in the background
      const touches = (await setCalls(admin())) - mark;
      assert.equal(touches, 1, 'one touch for concurrent requests on one worker');
      const ttl = await admin().ttl(key);
      assert.ok(ttl > 500 && ttl <= 600, `a touched session lives idleTimeout more (ttl ${ttl})`);
    } finally {
      await close();
    }
  });
});
