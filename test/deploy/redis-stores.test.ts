import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisSessionStore, RedisTokenStore } from '../../src/deploy/index.js';
import { nowSeconds, type OAuthTokenSet } from '../../src/tokens/token-set.js';
import { useRedis } from '../helpers/redis.js';

describe('Redis stores (real redis-server)', () => {
  const redis = useRedis();
  let client: Redis;
  before(() => {
    client = new Redis(redis().url, { maxRetriesPerRequest: 1 });
  });
  after(() => client.disconnect());

  it('keeps a session as one key with the session TTL, under the prefix', async () => {
    const store = new RedisSessionStore({ client, keyPrefix: 'app1:' });
    const now = nowSeconds();
    const session = {
      sessionId: 's1',
      userId: 'alice',
      roles: ['viewer'],
      createdAt: now,
      expiresAt: now + 100,
      metadata: {},
    };
    await store.set(session);
    assert.deepEqual(await store.get('s1'), session);
    const ttl = await client.ttl('app1:session:s1');
    assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
    assert.equal(await new RedisSessionStore({ client, keyPrefix: 'app2:' }).get('s1'), undefined);
    await client.set('app1:session:bad', '{not json');
    assert.equal(await store.get('bad'), undefined, 'a corrupt value is no session');
    assert.equal(await store.delete('s1'), true);
    assert.equal(await store.get('s1'), undefined);
  });

  it('hands out a pending login once (atomic take) with a 10-minute TTL', async () => {
    const store = new RedisSessionStore({ client });
    await store.putPendingLogin({ state: 'st', bindingHash: 'h', createdAt: 1, nonce: 'n' }, 600);
    const ttl = await client.ttl('authflow:pending:st');
    assert.ok(ttl > 590 && ttl <= 600);
    const results = await Promise.all([
      store.takePendingLogin('st', 'h'),
      store.takePendingLogin('st', 'h'),
    ]);
    assert.equal(results.filter((r) => r !== undefined).length, 1, 'exactly one taker wins');
  });

  it('counts hits in a fixed window that expires', async () => {
    const store = new RedisSessionStore({ client });
    assert.equal(await store.hit('ip', 1), 1);
    assert.equal(await store.hit('ip', 1), 2);
    assert.ok((await client.pttl('authflow:rate:ip')) > 0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(await store.hit('ip', 1), 1);
  });

  it('lets one owner hold a lock and only the owner release it', async () => {
    const store = new RedisSessionStore({ client });
    const token = await store.acquireLock('l', 5000);
    assert.ok(token);
    assert.equal(await store.acquireLock('l', 5000), undefined);
    await store.releaseLock('l', 'someone-else');
    assert.equal(await store.isLocked('l'), true, 'a foreign token must not release the lock');
    await store.releaseLock('l', token);
    assert.equal(await store.isLocked('l'), false);
  });

  it('never drops a refresh token with the access token expiry, and keeps the set TTL across saves', async () => {
    const store = new RedisTokenStore({ client, ttlSeconds: 3600 });
    const tokens: OAuthTokenSet = {
      accessToken: 'at',
      tokenType: 'Bearer',
      refreshToken: 'rt',
      issuedAt: nowSeconds() - 100,
      expiresAt: nowSeconds() - 50,
    };
    await store.save('sess', tokens);
    assert.deepEqual(
      await store.load('sess'),
      tokens,
      'an expired access token keeps its refresh token',
    );
    const ttl = await client.ttl('authflow:tokens:sess');
    assert.ok(ttl > 3590 && ttl <= 3600);
    await client.pexpire('authflow:tokens:sess', 200_000);
    await store.save('sess', { ...tokens, accessToken: 'at2' });
    const kept = await client.pttl('authflow:tokens:sess');
    assert.ok(kept > 190_000 && kept <= 200_000, 'a re-save keeps the remaining lifetime');
    assert.deepEqual(await store.listKeys(), ['sess']);
    assert.equal(await store.exists('sess'), true);
    assert.equal(await store.delete('sess'), true);
    assert.equal(await store.load('sess'), undefined);
    const forever = new RedisTokenStore({ client, keyPrefix: 'native:' });
    await forever.save('k', tokens);
    assert.equal(await client.ttl('native:tokens:k'), -1, 'no TTL unless asked');
  });
});
