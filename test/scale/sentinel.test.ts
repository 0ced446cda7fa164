// Deploy mode on a real Sentinel set-up (a primary, a replica, 3 sentinels on 127.0.0.1): a
// Sentinel-configured client accepted as it is, session ends and rotated token sets that
// survive the primary's crash, a failover under load, and the session cache following the
// promoted primary.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { BOUNDED_REDIS_OPTIONS } from '../../src/deploy/index.js';
import type { Fetcher } from '../deploy/support/app-browser.js';
import { BASE_URL, Browser } from '../deploy/support/fixtures.js';
import {
  expectNextRefresh,
  getsDuring,
  logOutWhileRefreshing,
  sessionIdOf,
  statusFor,
  storedRefreshToken,
  useScaleApps,
  waitUntilCaching,
} from './support/apps.js';
import { failoverUnderLoad, protectedSite } from './support/load.js';
import { type TestSentinel, useSentinel, waitFor } from './support/topology.js';

/** The bound of issue 14 / 9: a logout on one worker is refused by the others within it. */
const INVALIDATION_BOUND_MS = 50;

function useSentinelApps(sentinel: () => TestSentinel) {
  return useScaleApps(
    () =>
      new Redis({
        ...BOUNDED_REDIS_OPTIONS,
        sentinels: sentinel().sentinelAddresses,
        name: sentinel().name,
      }),
  );
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
    const before = await logOutWhileRefreshing(admin, [a, one], [b, two]);
    await sentinel().primary.kill();
    await waitForPromotion(sentinel());

    const promoted = new Redis({ host: '127.0.0.1', port: sentinel().replica.port });
    promoted.on('error', () => {});
    try {
      assert.equal(await promoted.exists(`authflow:session:${idA}`), 0, 'the session stays ended');
      assert.equal(await promoted.exists(`authflow:session:${idB}`), 1);
      const after = await storedRefreshToken(promoted, idB);
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
    await expectNextRefresh(b, one);
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
  const { app, errors } = useSentinelApps(sentinel);

  it('keeps protected pages answering 200 while the primary is down; writes answer 503 until promotion', async () => {
    const sites = [protectedSite(await app()), protectedSite(await app())];
    const users = Array.from({ length: 20 }, (_, i) => new Browser(BASE_URL, `10.0.5.${i}`));
    for (const [i, user] of users.entries()) await user.signIn(sites[i % 2] as Fetcher, `user${i}`);
    const summary = await failoverUnderLoad({
      label: 'sentinel',
      sites,
      users,
      visitorNet: '10.0.6',
      crash: () => sentinel().primary.kill(),
      promoted: () => waitForPromotion(sentinel()),
      errors,
    });
    // No offline queue: a write meets the down primary at once.
    assert.ok((summary.writes[503] ?? 0) > 0, 'writes were refused while the primary was down');
  });
});

describe('the session cache on Redis Sentinel', () => {
  const sentinel = useSentinel();
  const { app } = useSentinelApps(sentinel);

  const live = () => [sentinel().primary, sentinel().replica].filter((node) => node.alive);

  it('serves a session that a replica answered, but never caches it', async () => {
    const site = protectedSite(await app({ sessionCache: true }));
    const browser = new Browser(BASE_URL, '10.0.7.2');
    await browser.signIn(site, 'erin');
    const cookie = browser.sessionCookie() as string;
    const primary = sentinel().primary;
    // The primary holds every command for 600 ms (less than the subscriber's heartbeat allows,
    // so the cache stays in use): the read goes to the replica after 250 ms.
    await primary.cli('CLIENT', 'PAUSE', '600', 'ALL');
    const replicaGets = await getsDuring([sentinel().replica], async () => {
      assert.equal(await statusFor(site, cookie), 200, 'served from the replica');
    });
    assert.ok(replicaGets > 0, 'the replica answered');
    // The session ends behind the worker's back (no message): a cached copy would still answer.
    await waitFor('the pause to end', async () => (await primary.cli('PING')).includes('PONG'));
    await primary.cli('DEL', `authflow:session:${sessionIdOf(browser)}`);
    assert.equal(await statusFor(site, cookie), 401, 'the replica’s answer was not cached');
  });

  it('follows the promoted primary: after a failover a logout on one worker is refused by the other', async () => {
    const one = protectedSite(await app({ sessionCache: true }));
    const two = protectedSite(await app({ sessionCache: true }));
    const browser = new Browser(BASE_URL, '10.0.7.1');
    await browser.signIn(one, 'dave');
    const cookie = browser.sessionCookie() as string;
    await waitUntilCaching(two, cookie, live);

    await sentinel().primary.kill();
    await waitForPromotion(sentinel());
    // Trusted again only once subscribed on the promoted primary.
    await waitUntilCaching(two, cookie, live);
    await waitFor('the logout to go through on the promoted primary', async () => {
      return (await browser.post(one, '/auth/logout')).status === 200;
    });
    await sleep(INVALIDATION_BOUND_MS);
    assert.equal(await statusFor(two, cookie), 401, 'the other worker refuses the ended session');
  });
});
