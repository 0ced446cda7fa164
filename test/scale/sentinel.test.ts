// Deploy mode on a real Sentinel set-up (a primary, a replica, 3 sentinels on 127.0.0.1): a
// Sentinel-configured client accepted as it is, session ends and rotated token sets that
// survive the primary's crash, and a failover under load.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type AuthApp, BOUNDED_REDIS_OPTIONS, RedisTokenStore } from '../../src/deploy/index.js';
import { BASE_URL, Browser, makeApp, useDevProvider } from '../deploy/support/fixtures.js';
import { makeDue } from '../helpers/token-age.js';
import { protectedSite, report, startLoad } from './support/load.js';
import { type TestSentinel, useSentinel, waitFor } from './support/topology.js';

function sessionIdOf(browser: Browser): string {
  const cookie = browser.sessionCookie();
  assert.ok(cookie, 'signed in');
  return cookie.slice(0, cookie.lastIndexOf('.'));
}

function useSentinelApps(sentinel: () => TestSentinel) {
  const dev = useDevProvider();
  const clients: Redis[] = [];
  const apps: AuthApp[] = [];
  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
    for (const client of clients) client.disconnect();
  });
  const connect = async () => {
    const client = new Redis({
      ...BOUNDED_REDIS_OPTIONS,
      sentinels: sentinel().sentinelAddresses,
      name: sentinel().name,
    });
    client.on('error', () => {});
    clients.push(client);
    await new Promise((resolve) => client.once('ready', resolve));
    return client;
  };
  const app = async () => {
    const auth = makeApp(dev(), {
      redis: await connect(),
      loginRateLimit: { max: 100_000, windowSeconds: 60 },
    });
    apps.push(auth);
    return auth;
  };
  return { connect, app };
}

/** Waits until the sentinels name the replica as the primary, and it answers as one. */
async function waitForPromotion(sentinel: TestSentinel): Promise<void> {
  await waitFor('the replica to be promoted', async () => {
    if ((await sentinel.currentPrimaryPort()) !== sentinel.replica.port) return false;
    return (await sentinel.replica.cli('ROLE')).startsWith('master');
  });
}

describe('deploy mode on Redis Sentinel', () => {
  const sentinel = useSentinel();
  const { connect, app } = useSentinelApps(sentinel);

  it('acknowledges a logout only once the replica has it', async () => {
    const site = protectedSite(await app());
    const browser = new Browser();
    await browser.signIn(site, 'carol');
    sentinel().replica.pause();
    try {
      const answer = await browser.post(site, '/auth/logout');
      assert.equal(answer.status, 503, 'not acknowledged while the replica cannot confirm it');
      assert.equal((await answer.json()).error, 'store_unavailable');
    } finally {
      sentinel().replica.resume();
    }
    await waitFor('the logout to go through', async () => {
      return (await browser.post(site, '/auth/logout')).status === 200;
    });
    assert.equal((await browser.call(site, '/api/me')).status, 401);
  });

  it('keeps a logout and a rotated refresh token through the crash of the primary', async () => {
    const one = await app();
    const two = await app();
    const admin = await connect();
    const a = new Browser(BASE_URL, '10.0.4.1');
    const b = new Browser(BASE_URL, '10.0.4.2');
    await a.signIn(one, 'alice', { finishAt: two });
    await b.signIn(two, 'bob');
    const idA = sessionIdOf(a);
    const idB = sessionIdOf(b);
    const cookieA = a.sessionCookie() as string;
    const refreshTokenOf = async (client: Redis, id: string) =>
      JSON.parse((await client.get(`authflow:tokens:${id}`)) ?? '{}').refreshToken as string;
    const before = await refreshTokenOf(admin, idB);
    // /auth/refresh refreshes only a set in the second half of its lifetime: age it.
    await makeDue(new RedisTokenStore({ client: admin, keyPrefix: 'authflow:' }), idB);

    const [logout, refresh] = await Promise.all([
      a.post(one, '/auth/logout'),
      b.post(two, '/auth/refresh'),
    ]);
    assert.equal(logout.status, 200);
    assert.equal(refresh.status, 200);
    await sentinel().primary.kill();
    await waitForPromotion(sentinel());

    const promoted = new Redis({ host: '127.0.0.1', port: sentinel().replica.port });
    promoted.on('error', () => {});
    try {
      assert.equal(await promoted.exists(`authflow:session:${idA}`), 0, 'the session stays ended');
      assert.equal(await promoted.exists(`authflow:session:${idB}`), 1);
      const after = await refreshTokenOf(promoted, idB);
      assert.ok(after !== undefined && after !== before, 'the rotated refresh token survived');
    } finally {
      promoted.disconnect();
    }
    const stale = await one.fetch(
      new Request(`${BASE_URL}/auth/status`, {
        headers: { cookie: `authflow_session=${cookieA}` },
      }),
    );
    assert.ok(stale.status === 200 || stale.status === 503);
    let next = 0;
    await waitFor('the next refresh', async () => {
      next = (await b.post(one, '/auth/refresh')).status;
      return next !== 503;
    });
    assert.equal(next, 200, 'the next refresh works with the stored token');
    assert.deepEqual(
      await (
        await one.fetch(
          new Request(`${BASE_URL}/auth/status`, {
            headers: { cookie: `authflow_session=${cookieA}` },
          }),
        )
      ).json(),
      { authenticated: false },
    );
  });
});

describe('a Redis Sentinel failover under load', () => {
  const sentinel = useSentinel();
  const { app } = useSentinelApps(sentinel);

  it('keeps protected pages answering 200 while the primary is down; writes answer 503 until promotion', async () => {
    const sites = [protectedSite(await app()), protectedSite(await app())];
    const site = (i: number) => sites[i % 2] as (typeof sites)[0];
    const browsers = Array.from({ length: 20 }, (_, i) => new Browser(BASE_URL, `10.0.5.${i}`));
    for (const [i, browser] of browsers.entries()) await browser.signIn(site(i), `user${i}`);
    const load = startLoad({
      reads: browsers.map(
        (browser, i) => async () => (await browser.call(site(i), '/api/me')).status,
      ),
      writes: Array.from({ length: 4 }, (_, i) => async () => {
        const visitor = new Browser(BASE_URL, `10.0.6.${i}`);
        return (await visitor.call(site(i), '/auth/login')).status;
      }),
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const killedAt = Date.now();
    await sentinel().primary.kill();
    await waitForPromotion(sentinel());
    const promotedAt = Date.now();
    await waitFor('writes to come back', async () => load.writes.at(-1)?.status === 302);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const answers = await load.stop();
    const summary = report('sentinel', killedAt, promotedAt, answers, (s) => s === 302);

    assert.ok(
      answers.reads.filter((a) => a.at >= killedAt).length > 100,
      'reads ran during the failover',
    );
    // The goal is 0 answers but 200. What is measured (docs/deploy.md): 0 in some runs, a
    // few 503 (under 1 %) in others, while the sentinels reconfigure the promoted node.
    for (const status of Object.keys(summary.reads)) {
      assert.ok(status === '200' || status === '503', `read answered ${status}`);
    }
    assert.ok(
      (summary.reads[503] ?? 0) * 100 < (summary.reads[200] ?? 0),
      'under 1 % of reads failed',
    );
    for (const status of Object.keys(summary.writes)) {
      assert.ok(status === '302' || status === '503', `write answered ${status}`);
    }
    assert.ok((summary.writes[503] ?? 0) > 0, 'writes were refused while the primary was down');
    const tail = answers.writes.filter((a) => a.at >= Date.now() - 1500);
    assert.ok(tail.length > 0 && tail.every((a) => a.status === 302), 'writes recovered');
    for (const [i, browser] of browsers.entries()) {
      assert.equal((await browser.call(site(i), '/api/me')).status, 200);
    }
  });
});
