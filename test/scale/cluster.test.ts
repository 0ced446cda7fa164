// Deploy mode on a real Redis Cluster (3 primaries + 3 replicas on 127.0.0.1): Cluster
// clients accepted as they are, token sets listed across every primary, session ends and
// rotated token sets that survive a primary's crash, and a failover under load.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { BOUNDED_CLUSTER_OPTIONS, RedisTokenStore } from '../../src/deploy/index.js';
import type { Fetcher } from '../deploy/support/app-browser.js';
import { BASE_URL, Browser } from '../deploy/support/fixtures.js';
import {
  expectNextRefresh,
  logOutWhileRefreshing,
  sessionIdOf,
  storedRefreshToken,
  useScaleApps,
} from './support/apps.js';
import { failoverUnderLoad, protectedSite } from './support/load.js';
import { type Node, type TestCluster, useCluster, waitFor } from './support/topology.js';

function useClusterApps(cluster: () => TestCluster) {
  return useScaleApps(() => new Cluster(cluster().startupNodes, BOUNDED_CLUSTER_OPTIONS));
}

describe('deploy mode on a Redis Cluster', () => {
  const cluster = useCluster();
  const { connect, app, clients } = useClusterApps(cluster);

  it('shares logins, sessions and logout between workers with their own Cluster clients', async () => {
    const one = await app();
    const two = await app();
    const browser = new Browser();
    const { response } = await browser.signIn(one, 'alice', { finishAt: two });
    assert.equal(response.status, 302);
    assert.equal((await browser.status(one)).userId, 'alice');
    assert.equal((await browser.status(two)).userId, 'alice');
    assert.equal((await browser.post(two, '/auth/logout')).status, 200);
    assert.deepEqual(await browser.status(one), { authenticated: false });
  });

  it('lists the token sets of every primary', async () => {
    const client = await connect();
    const store = new RedisTokenStore({ client, keyPrefix: 'list-test:' });
    const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    keys.push('braced{tag}');
    for (const key of keys) {
      await store.save(key, { accessToken: 'a', tokenType: 'Bearer', issuedAt: 1 });
    }
    assert.deepEqual((await store.listKeys()).sort(), [...keys].sort());
    const holding = await Promise.all(
      client.nodes('master').map(async (node) => (await node.keys('list-test:*')).length),
    );
    assert.ok(holding.filter((count) => count > 0).length >= 2, 'spread over several primaries');
    for (const key of keys) await store.delete(key);
    assert.deepEqual(await store.listKeys(), []);
  });

  for (const stale of [false, true]) {
    const title = stale ? ', even when its slot table lists no replica' : '';
    it(`acknowledges a logout only once a replica has it${title}`, async () => {
      await logoutWaitsForReplica(stale);
    });
  }

  async function logoutWaitsForReplica(staleSlotTable: boolean) {
    const site = protectedSite(await app());
    const browser = new Browser();
    await browser.signIn(site, 'carol');
    const slot = calculateSlot(`authflow:session:${sessionIdOf(browser)}`);
    // A replica can be missing from CLUSTER SLOTS for a moment after the cluster formed.
    let replica: Awaited<ReturnType<TestCluster['replicasOf']>>[number] | undefined;
    await waitFor('a replica of the session’s primary', async () => {
      [replica] = await cluster().replicasOf(slot);
      return replica !== undefined;
    }).catch(() => {});
    assert.ok(replica, 'the primary has a replica');
    if (staleSlotTable) {
      // What a client that connected while the cluster was still forming holds.
      const client = clients.at(-1) as Cluster;
      client.slots[slot] = client.slots[slot]?.slice(0, 1) ?? [];
    }
    replica.pause();
    try {
      const answer = await browser.post(site, '/auth/logout');
      assert.equal(answer.status, 503, 'not acknowledged while no replica can confirm it');
      assert.equal((await answer.json()).error, 'store_unavailable');
    } finally {
      replica.resume();
    }
    await waitFor('the logout to go through', async () => {
      return (await browser.post(site, '/auth/logout')).status === 200;
    });
    assert.equal((await browser.call(site, '/api/me')).status, 401);
  }

  it('reads a session from a replica while its primary hangs, even when its slot table lists no replica', async () => {
    const site = protectedSite(await app());
    const browser = new Browser(BASE_URL, '10.0.7.1');
    await browser.signIn(site, 'dave');
    const slot = calculateSlot(`authflow:session:${sessionIdOf(browser)}`);
    await waitFor('a replica of the session’s primary', async () => {
      return (await cluster().replicasOf(slot)).length > 0;
    });
    const primary = await cluster().primaryOf(slot);
    // What a client that connected while the cluster was still forming holds: a slot table
    // without replicas, and no connection to them.
    const client = clients.at(-1) as Cluster;
    for (const [i, owners] of client.slots.entries()) {
      if (owners) client.slots[i] = owners.slice(0, 1);
    }
    for (const node of client.nodes('slave')) node.disconnect();
    // Frozen for well under cluster-node-timeout (1 s): no failover, the primary just hangs.
    primary.pause();
    try {
      assert.equal((await browser.call(site, '/api/me')).status, 200);
    } finally {
      primary.resume();
    }
  });

  it('keeps a logout and a rotated refresh token through the crash of their primary', async () => {
    const one = await app();
    const two = await app();
    const admin = await connect();
    // Two users whose session (A, to log out) and token set (B, to refresh) share a primary.
    const browsers: Browser[] = [];
    let pair: [Browser, Browser] | undefined;
    for (let i = 0; i < 12 && pair === undefined; i++) {
      const browser = new Browser(BASE_URL, `10.0.1.${i}`);
      await browser.signIn(one, `user${i}`);
      browsers.push(browser);
      for (const a of browsers) {
        for (const b of browsers) {
          if (a === b) continue;
          const sessionSlot = calculateSlot(`authflow:session:${sessionIdOf(a)}`);
          const tokensSlot = calculateSlot(`authflow:tokens:${sessionIdOf(b)}`);
          const [pa, pb] = await Promise.all([
            cluster().primaryOf(sessionSlot),
            cluster().primaryOf(tokensSlot),
          ]);
          if (pa === pb && (await cluster().replicasOf(sessionSlot)).length > 0) pair = [a, b];
        }
      }
    }
    assert.ok(pair, 'found two sessions on one primary');
    const [a, b] = pair;
    const idA = sessionIdOf(a);
    const idB = sessionIdOf(b);
    const cookieA = a.sessionCookie() as string;
    const slot = calculateSlot(`authflow:session:${idA}`);
    const victim = await cluster().primaryOf(slot);
    const before = await logOutWhileRefreshing(admin, [a, one], [b, two]);
    await victim.kill();
    await cluster().waitForPromotion(victim, slot);

    const fresh = await connect();
    await waitFor('the new primary to answer', async () => (await fresh.get('x')) === null);
    assert.equal(await fresh.exists(`authflow:session:${idA}`), 0, 'the session stays ended');
    const after = await storedRefreshToken(admin, idB).catch(() => undefined);
    assert.ok(after !== undefined && after !== before, 'the rotated refresh token survived');
    const stale = await two.fetch(
      new Request(`${BASE_URL}/auth/status`, {
        headers: { cookie: `authflow_session=${cookieA}` },
      }),
    );
    assert.deepEqual(await stale.json(), { authenticated: false });
    await expectNextRefresh(b, one);
  });
});

describe('a Redis Cluster failover under load', () => {
  const cluster = useCluster();
  const { app, clients, errors } = useClusterApps(cluster);

  it('keeps protected pages answering 200 while a primary is down; writes answer 503 until promotion', async () => {
    const sites = [protectedSite(await app()), protectedSite(await app())];
    const users = Array.from({ length: 30 }, (_, i) => new Browser(BASE_URL, `10.0.2.${i}`));
    for (const [i, user] of users.entries()) await user.signIn(sites[i % 2] as Fetcher, `user${i}`);
    // The primary holding most sessions, and one slot of it.
    const held = new Map<Node, { count: number; slot: number }>();
    for (const user of users) {
      const slot = calculateSlot(`authflow:session:${sessionIdOf(user)}`);
      const owner = await cluster().primaryOf(slot);
      held.set(owner, { count: (held.get(owner)?.count ?? 0) + 1, slot });
    }
    const [victim, { count, slot }] = [...held].sort((x, y) => y[1].count - x[1].count)[0] as [
      Node,
      { count: number; slot: number },
    ];
    // The second worker's client holds a slot table without replicas, as a client that
    // connected while the cluster was forming does: its reads must find the replicas anyway.
    const stale = clients[1] as Cluster;
    for (const [i, owners] of stale.slots.entries())
      if (owners) stale.slots[i] = owners.slice(0, 1);
    await failoverUnderLoad({
      label: `cluster, ${count}/30 sessions on the crashed primary`,
      sites,
      users,
      visitorNet: '10.0.3',
      crash: () => victim.kill(),
      promoted: async () => {
        await cluster().waitForPromotion(victim, slot);
      },
      errors,
    });
  });
});
