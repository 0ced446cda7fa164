// The session cache (option sessionCache) on a real Redis Cluster (3 primaries + 3 replicas on
// 127.0.0.1): two workers, each with its own Cluster client and cache. Each worker subscribes
// on every primary itself (not through the cluster bus); a logout on one is refused by the
// other within the bound, for sessions on every primary; a subscription that drops, or a
// primary that reports a failing cluster, takes the whole cache out of use until it is back;
// while a subscription is refused, the slot table is re-read backing off (not every second)
// and the app is told once; after a failover the cache follows the promoted primary.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import { ClusterInvalidationChannel } from '../../src/deploy/cluster-invalidation-channel.js';
import { type AuthApp, BOUNDED_CLUSTER_OPTIONS } from '../../src/deploy/index.js';
import type { Fetcher } from '../deploy/support/app-browser.js';
import { BASE_URL, Browser } from '../deploy/support/fixtures.js';
import {
  getsDuring,
  sessionIdOf,
  statusFor,
  useScaleApps,
  waitUntilCaching as waitCaching,
} from './support/apps.js';
import { protectedSite } from './support/load.js';
import { type Node, useCluster, waitFor } from './support/topology.js';

/** The bound the invalidation must meet: a logout on one worker is refused by the others. */
const INVALIDATION_BOUND_MS = 50;
const CHANNEL = 'authflow:session-invalidate';

describe('session cache on a Redis Cluster', () => {
  const cluster = useCluster();
  const { app } = useScaleApps(() => new Cluster(cluster().startupNodes, BOUNDED_CLUSTER_OPTIONS));

  // Plain connections to single nodes (READONLY: replicas answer too), for their own counters
  // and pub/sub view.
  const admins = new Map<Node, Redis>();
  afterEach(() => {
    for (const admin of admins.values()) admin.disconnect();
    admins.clear();
  });
  function admin(node: Node): Redis {
    let client = admins.get(node);
    if (client === undefined) {
      client = new Redis({
        host: '127.0.0.1',
        port: node.port,
        readOnly: true,
        maxRetriesPerRequest: 0,
      });
      client.on('error', () => {});
      admins.set(node, client);
    }
    return client;
  }
  const live = () => cluster().nodes.filter((node) => node.alive);

  /** Two workers with the cache on, as protected sites, and a way to close both. */
  async function workers(): Promise<[Fetcher, Fetcher, () => Promise<void>]> {
    const apps = [await app({ sessionCache: true }), await app({ sessionCache: true })];
    const close = async () => {
      await Promise.all(apps.map((auth) => auth.close()));
    };
    return [protectedSite(apps[0] as AuthApp), protectedSite(apps[1] as AuthApp), close];
  }

  const slotOf = (browser: Browser) => calculateSlot(`authflow:session:${sessionIdOf(browser)}`);

  /** Redis GETs (session reads, on primaries or replicas) that `fn` caused. */
  const redisReads = (fn: () => Promise<void>) => getsDuring(live(), fn);
  const waitUntilCaching = (site: Fetcher, cookie: string) => waitCaching(site, cookie, live);

  /** Subscribers of the channel on each live primary, as the node itself counts them. */
  async function subscribersPerPrimary(): Promise<number[]> {
    const counts: number[] = [];
    for (const node of live()) {
      if (!(await node.cli('ROLE')).startsWith('master')) continue;
      const [, count] = (await admin(node).pubsub('NUMSUB', CHANNEL)) as [string, number];
      counts.push(Number(count));
    }
    return counts;
  }

  /** Signs users in at `site` until `enough(byPrimary)`; the browsers by their session's primary. */
  async function signInSpread(
    site: Fetcher,
    net: string,
    enough: (byPrimary: Map<Node, Browser[]>) => boolean,
  ): Promise<Map<Node, Browser[]>> {
    const byPrimary = new Map<Node, Browser[]>();
    for (let i = 0; i < 60 && !enough(byPrimary); i++) {
      const browser = new Browser(BASE_URL, `${net}.${i}`);
      await browser.signIn(site, `user${i}`);
      const owner = await cluster().primaryOf(slotOf(browser));
      byPrimary.set(owner, [...(byPrimary.get(owner) ?? []), browser]);
    }
    assert.ok(enough(byPrimary), 'sessions spread as needed');
    return byPrimary;
  }

  const cookieOf = (browser: Browser) => browser.sessionCookie() as string;

  it('refuses on B, within the bound, a session logged out on A, for sessions on every primary', async () => {
    const [one, two, close] = await workers();
    const byPrimary = await signInSpread(one, '10.0.4', (found) => found.size === 3);
    const browsers = [...byPrimary.values()].map(([first]) => first as Browser);
    for (const browser of browsers) await waitUntilCaching(two, cookieOf(browser));
    // Each worker holds its own subscription on each primary (PUBSUB NUMSUB is per node on a
    // Cluster): no message has to cross the cluster bus.
    assert.deepEqual(await subscribersPerPrimary(), [2, 2, 2]);
    for (const browser of browsers) {
      const cookie = cookieOf(browser);
      assert.equal(
        await redisReads(async () => assert.equal(await statusFor(two, cookie), 200)),
        0,
        'B serves the session from its cache',
      );
      assert.equal((await browser.post(one, '/auth/logout')).status, 200);
      await sleep(INVALIDATION_BOUND_MS);
      assert.equal(await statusFor(two, cookie), 401, 'B refuses the ended session');
    }
    // auth.close() closes every subscription it opened.
    await close();
    await waitFor('the subscriptions to close', async () => {
      return (await subscribersPerPrimary()).every((count) => count === 0);
    });
  });

  it('stops trusting the whole cache at once when one primary’s subscription drops, until it is back', async () => {
    const [one, two] = await workers();
    const byPrimary = await signInSpread(
      one,
      '10.0.5',
      (found) => found.size >= 2 && [...found.values()].some((list) => list.length >= 2),
    );
    const [primary, [ended, kept] = []] = [...byPrimary].find(([, list]) => list.length >= 2) ?? [];
    const [other] = [...byPrimary].find(([node]) => node !== primary)?.[1] ?? [];
    assert.ok(primary && ended && kept && other);
    const cookies = { ended: cookieOf(ended), kept: cookieOf(kept), other: cookieOf(other) };
    for (const cookie of Object.values(cookies)) await waitUntilCaching(two, cookie);
    // Take away the right to use pub/sub channels on that primary and kill its subscribers:
    // resubscribing fails until the right is given back, so the channel stays down meanwhile.
    await primary.cli('ACL', 'SETUSER', 'default', 'resetchannels');
    try {
      await primary.cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
      // End a session behind the workers' backs (no message at all): a worker that kept
      // trusting its cache would still accept it.
      await primary.cli('DEL', `authflow:session:${sessionIdOf(ended)}`);
      await sleep(INVALIDATION_BOUND_MS);
      assert.equal(await statusFor(two, cookies.ended), 401, 'B read Redis instead of its cache');
      await sleep(300);
      assert.equal(
        await redisReads(async () => {
          for (let i = 0; i < 3; i++) assert.equal(await statusFor(two, cookies.other), 200);
        }),
        3,
        'while one subscription is down, every read goes to Redis, for sessions on any primary',
      );
    } finally {
      await primary.cli('ACL', 'SETUSER', 'default', 'allchannels');
    }
    await waitUntilCaching(two, cookies.kept);
    await waitUntilCaching(two, cookies.other);
    assert.deepEqual(await subscribersPerPrimary(), [2, 2, 2], 'resubscribed');
  });

  it('stops trusting the cache while a primary reports a failing cluster, though its subscription stays up', async () => {
    const [one, two] = await workers();
    const byPrimary = await signInSpread(one, '10.0.7', (found) => found.size === 3);
    const [[primary, [own] = []] = [], [, [other] = []] = []] = [...byPrimary];
    assert.ok(primary && own && other);
    const cookies = { own: cookieOf(own), other: cookieOf(other) };
    await waitUntilCaching(two, cookies.own);
    await waitUntilCaching(two, cookies.other);
    // What a primary cut off from the rest of the cluster sees: it forgets the other primaries
    // (so it reports cluster_state:fail at once) and still answers its subscribers, while the
    // others could promote its replica and take writes it never hears of.
    const others = [...byPrimary.keys()].filter((node) => node !== primary);
    const ids = await Promise.all(
      others.map(async (node) => (await node.cli('CLUSTER', 'MYID')).trim()),
    );
    try {
      for (const id of ids) await primary.cli('CLUSTER', 'FORGET', id);
      // Every read goes to Redis soon (the next heartbeats), for sessions on any primary.
      await waitFor(
        'the cache to go out of use',
        async () => {
          return (
            (await redisReads(async () =>
              assert.equal(await statusFor(two, cookies.other), 200),
            )) === 1
          );
        },
        5000,
      );
      assert.deepEqual(await subscribersPerPrimary(), [2, 2, 2], 'no subscription dropped');
    } finally {
      for (const node of others)
        await primary.cli('CLUSTER', 'MEET', '127.0.0.1', String(node.port));
      await waitFor('the cluster to heal', async () => {
        for (const node of live()) {
          if (!(await node.cli('CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
          if ((await node.cli('CLUSTER', 'NODES')).trim().split('\n').length !== 6) return false;
        }
        return true;
      });
    }
    await waitUntilCaching(two, cookies.other);
  });

  it('while a subscription is refused, re-reads the slot table backing off, reports once, and comes back', async () => {
    // The channel alone, on a client of its own that re-reads its slot table only when asked
    // (no slotsRefreshInterval): every refreshSlotsCache() counted below is the channel's.
    const client = new Cluster(cluster().startupNodes, {
      ...BOUNDED_CLUSTER_OPTIONS,
      slotsRefreshInterval: 0,
    });
    client.on('error', () => {});
    const reports: Error[] = [];
    const channel = new ClusterInvalidationChannel(client, CHANNEL, Redis, (error) => {
      reports.push(error);
    });
    let refreshes = 0;
    const refresh = client.refreshSlotsCache.bind(client);
    client.refreshSlotsCache = (callback) => {
      refreshes++;
      refresh(callback);
    };
    const primary = await cluster().primaryOf(0);
    try {
      await new Promise((resolve) => client.once('ready', resolve));
      channel.listen({ message: () => {}, down: () => {}, up: () => {} });
      await waitFor('the channel to be up', async () => channel.up);
      await primary.cli('ACL', 'SETUSER', 'default', 'resetchannels');
      try {
        await primary.cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
        const before = refreshes;
        await sleep(8000);
        // At the first heartbeat down, then after 1 s, 2 s, 4 s: at most 4 in 8 s (one a
        // second, 8, without the backoff).
        const made = refreshes - before;
        assert.ok(made >= 1 && made <= 4, `${made} slot-table reads in 8 s while down`);
        assert.equal(channel.up, false);
      } finally {
        await primary.cli('ACL', 'SETUSER', 'default', 'allchannels');
      }
      assert.equal(reports.length, 1, 'one report for the run of refused subscriptions');
      assert.match(
        reports[0]?.message ?? '',
        new RegExp(`cannot subscribe to ${CHANNEL} on 127\\.0\\.0\\.1:${primary.port} `),
      );
      // Back at the subscription's next try (its delay has grown to 8 s by now).
      await waitFor('the channel to be up again', async () => channel.up, 35_000);
    } finally {
      channel.close();
      client.disconnect();
    }
  });

  // Last: the crashed primary stays down (a replica of its own is gone with it).
  it('follows a failover: after promotion, B refuses a session logged out on A on the promoted primary', async () => {
    const [one, two] = await workers();
    const byPrimary = await signInSpread(one, '10.0.6', (found) =>
      [...found.values()].some((list) => list.length >= 2),
    );
    const [victim, [first, second] = []] =
      [...byPrimary].find(([, list]) => list.length >= 2) ?? [];
    assert.ok(victim && first && second);
    const cookies = { first: cookieOf(first), second: cookieOf(second) };
    await waitUntilCaching(two, cookies.first);
    await waitUntilCaching(two, cookies.second);
    // Both sessions are on the replica before the crash (a session write waits for no replica).
    const slot = slotOf(first);
    const [replica] = await cluster().replicasOf(slot);
    assert.ok(replica, 'the primary has a replica');
    await waitFor('the replica to hold both sessions', async () => {
      const keys = [first, second].map((browser) => `authflow:session:${sessionIdOf(browser)}`);
      // One key per command: the two are in different slots.
      const found = await Promise.all(keys.map((key) => admin(replica).exists(key)));
      return found.every((count) => count === 1);
    });

    await victim.kill();
    await cluster().waitForPromotion(victim, slot);
    await waitFor('A’s logout to go through', async () => {
      return (await first.post(one, '/auth/logout')).status === 200;
    });
    await sleep(INVALIDATION_BOUND_MS);
    assert.equal(await statusFor(two, cookies.first), 401, 'B refuses the ended session');

    // B trusts its cache again once it has subscribed on the promoted primary.
    await waitUntilCaching(two, cookies.second);
    assert.deepEqual(
      await subscribersPerPrimary(),
      [2, 2, 2],
      'subscribed on the promoted primary',
    );
    assert.equal((await second.post(one, '/auth/logout')).status, 200);
    await sleep(INVALIDATION_BOUND_MS);
    assert.equal(await statusFor(two, cookies.second), 401, 'B refuses the ended session');
  });
});
