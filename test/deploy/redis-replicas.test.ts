// The session read of deploy mode on a Cluster or Sentinel (getWithFallback): a read that
// neither the replica nor the primary could answer is tried once more, 100 ms later, as the
// connections around a promotion are remade for an instant. Real redis-server, real ioredis
// clients; the replica reader is a plain connection behind the ReplicaReader interface.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { getWithFallback, type ReplicaReader } from '../../src/deploy/redis-replicas.js';
import { freePort } from '../helpers/ports.js';
import { useRedis } from '../helpers/redis.js';

describe('getWithFallback', () => {
  const redis = useRedis();
  const opened: Redis[] = [];
  afterEach(() => {
    for (const connection of opened.splice(0)) connection.disconnect();
  });

  /**
   * A client that is not connected yet and fails every command at once (no offline queue);
   * its first command starts its connection, as a connection being remade after a failover.
   */
  function connecting(url = redis().url): Redis {
    const client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    opened.push(client);
    return client;
  }

  /** The replica reader of a primary that is down, reading on `replica`; counts its reads. */
  function readerOn(replica: Redis): ReplicaReader & { reads: number } {
    const reader = {
      reads: 0,
      primaryDown: () => true,
      get: (key: string) => {
        reader.reads++;
        return replica.get(key);
      },
      close: () => {},
    };
    return reader;
  }

  it('answers when a connection is back within the retry', async () => {
    const admin = new Redis(redis().url);
    opened.push(admin);
    await admin.set('session:a', '{"ok":true}');
    // Both refuse the first attempt; their connections are up for the second.
    const read = getWithFallback(connecting(), readerOn(connecting()), 'session:a');
    assert.equal(await read, '{"ok":true}');
  });

  it('fails when neither answers the second attempt either', async () => {
    // Nothing listens there: every attempt fails.
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const read = getWithFallback(connecting(dead), readerOn(connecting(dead)), 'session:a');
    await assert.rejects(read, (error) => {
      assert.ok(error instanceof AggregateError, 'both causes');
      assert.equal(error.errors.length, 2);
      return true;
    });
    assert.ok(Date.now() - started >= 100, 'the second attempt came 100 ms later, not at once');
  });

  it('does not retry a read that failed slowly (Redis hanging: a retry would double the wait)', async () => {
    const hanging = () => {
      const client = new Redis(redis().url, { commandTimeout: 400, maxRetriesPerRequest: 0 });
      client.on('error', () => {});
      opened.push(client);
      return client;
    };
    const primary = hanging();
    const reader = readerOn(hanging());
    await Promise.all([primary.ping(), reader.get('warm-up')]);
    reader.reads = 0;
    redis().pause();
    try {
      await assert.rejects(getWithFallback(primary, reader, 'session:a'), AggregateError);
    } finally {
      redis().resume();
    }
    assert.equal(reader.reads, 1, 'one attempt only');
  });
});
