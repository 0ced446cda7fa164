// Every key deploy mode touches, checked against a real cluster-mode redis-server: the
// commands and scripts of a whole sign-in, status, refresh and logout each touch keys of one
// slot (asked with COMMAND GETKEYS and CLUSTER KEYSLOT on the server, over MONITOR), and no
// outside value can form a hash tag.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Hono } from 'hono';
import { Cluster, Redis } from 'ioredis';
import { type AuthEnv, BOUNDED_CLUSTER_OPTIONS, RedisTokenStore } from '../../src/deploy/index.js';
import {
  checkKeyPrefix,
  fromKeyPart,
  keyPart,
  redisKeys,
  sameSlot,
} from '../../src/deploy/redis-keys.js';
import { type Node, startOneNodeCluster } from '../scale/support/topology.js';
import { Browser, makeApp, useDevProvider } from './support/fixtures.js';

describe('Redis key names', () => {
  it('never lets an outside value form a hash tag, and reads it back', () => {
    for (const value of ['plain-id_09', 'user{1}', '}{', '%7B', 'a%b{c}d', '']) {
      const part = keyPart(value);
      assert.doesNotMatch(part, /[{}]/);
      assert.equal(fromKeyPart(part), value);
    }
    const keys = redisKeys('app:');
    assert.equal(keys.session('abc'), 'app:session:abc');
    assert.equal(keys.tokens('u{1}'), 'app:tokens:u%7B1%7D');
    assert.equal(keys.index('user:{x}'), 'app:index:user:%7Bx%7D');
    assert.equal(keys.sessionInvalidateChannel, 'app:session-invalidate');
  });

  it('refuses a key prefix that would put every key in one slot', () => {
    assert.equal(checkKeyPrefix('authflow:'), 'authflow:');
    for (const bad of ['{authflow}:', 'a}', 'a b:', 'x'.repeat(65), 42]) {
      assert.throws(() => checkKeyPrefix(bad), { code: 'invalid_configuration' });
    }
    assert.throws(() => redisKeys('{all}:'), { code: 'invalid_configuration' });
  });
});

describe('deploy mode on a cluster-mode Redis: one slot per command and script', () => {
  const dev = useDevProvider();
  let server: { node: Node; stop(): Promise<void> };
  let cluster: Cluster;
  let admin: Redis;
  let monitor: Redis | undefined;
  before(async () => {
    server = await startOneNodeCluster();
    admin = new Redis({ host: '127.0.0.1', port: server.node.port, maxRetriesPerRequest: 1 });
    admin.on('error', () => {});
    cluster = new Cluster([{ host: '127.0.0.1', port: server.node.port }], BOUNDED_CLUSTER_OPTIONS);
    cluster.on('error', () => {});
    await new Promise((resolve) => cluster.once('ready', resolve));
  });
  after(async () => {
    monitor?.disconnect();
    cluster?.disconnect();
    admin?.disconnect();
    await server?.stop();
  });

  it('touches keys of a single slot in every command and script of a whole session', async () => {
    const commands: string[][] = [];
    monitor = await admin.monitor();
    monitor.on('error', () => {});
    monitor.on('monitor', (_time: string, args: string[]) => commands.push(args));

    const auth = makeApp(dev(), { redis: cluster });
    const hono = new Hono<AuthEnv>();
    hono.use(auth.middleware());
    hono.get(
      '/api/me',
      auth.protect((c, session) => c.json({ user: session.userId })),
    );
    try {
      const browser = new Browser();
      const { response } = await browser.signIn(hono, 'alice');
      assert.equal(response.status, 302);
      assert.equal((await browser.call(hono, '/api/me')).status, 200);
      assert.equal((await browser.post(hono, '/auth/refresh')).status, 200);
      const tokens = new RedisTokenStore({ client: cluster });
      await tokens.save('other{user}', { accessToken: 'x', tokenType: 'Bearer', issuedAt: 1 });
      assert.ok((await tokens.listKeys()).includes('other{user}'));
      assert.equal(await tokens.delete('other{user}'), true);
      assert.equal((await browser.post(hono, '/auth/logout')).status, 200);
      assert.equal((await browser.call(hono, '/api/me')).status, 401);
    } finally {
      await auth.close();
    }
    // MONITOR lags a little behind the replies.
    await new Promise((resolve) => setTimeout(resolve, 200));

    let scripts = 0;
    let keyed = 0;
    for (const args of commands) {
      const name = (args[0] ?? '').toLowerCase();
      if (['monitor', 'info', 'cluster', 'command', 'scan', 'wait', 'readonly'].includes(name)) {
        continue;
      }
      const keys = (await admin.call('COMMAND', 'GETKEYS', ...args).catch(() => [])) as string[];
      if (keys.length === 0) continue;
      keyed++;
      if (name === 'eval' || name === 'evalsha') scripts++;
      const slots = new Set(
        await Promise.all(keys.map((key) => admin.call('CLUSTER', 'KEYSLOT', key))),
      );
      assert.equal(slots.size, 1, `${name} touches keys of ${slots.size} slots`);
      for (const key of keys)
        assert.ok(key.startsWith('authflow:'), `${name} on an unprefixed key`);
    }
    // The rate limit, the lock release and the token saves are scripts; the rest single keys.
    assert.ok(scripts >= 3, `saw ${scripts} scripts`);
    assert.ok(keyed >= 12, `saw ${keyed} keyed commands`);
  });

  it('refuses unsafe replicaAck and keyPrefix options at start', () => {
    for (const bad of [
      { replicaAck: { timeout: 2 } },
      { replicaAck: { timeout: 1 }, storeTimeout: 0.5 },
      { replicaAck: { replicas: -1 } },
      { replicaAck: { replicas: 1.5 } },
      { keyPrefix: '{authflow}:' },
    ]) {
      assert.throws(() => makeApp(dev(), { redis: cluster, ...bad }), {
        code: 'invalid_configuration',
      });
    }
  });

  it('puts the keys sameSlot() names in one slot, whatever the tag', async () => {
    assert.throws(() => sameSlot('authflow:', '', 'a'), TypeError);
    for (const tag of ['u1', 'user{x}', '%']) {
      const keys = sameSlot('authflow:', tag, 'a', 'b', 'c');
      const slots = new Set(
        await Promise.all(keys.map((key) => admin.call('CLUSTER', 'KEYSLOT', key))),
      );
      assert.equal(slots.size, 1);
    }
  });
});
