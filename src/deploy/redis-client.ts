/**
 * Creating an ioredis client with bounded waits. ioredis is imported lazily, so the deploy
 * core stays loadable on runtimes without Node's `net` when Redis is not used.
 *
 * @module
 */
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';

/**
 * The client options authflow uses for a Redis URL: a command waits at most `commandTimeout`
 * ms, nothing queues while the connection is down (so requests answer 503 at once instead of
 * hanging), concurrent commands are pipelined, and the client keeps reconnecting in the background so that service resumes
 * when Redis is back.
 */
export const BOUNDED_REDIS_OPTIONS: RedisOptions = {
  connectTimeout: 2000,
  commandTimeout: 1500,
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  // Concurrent requests' commands go out in one write: far fewer syscalls under load.
  enableAutoPipelining: true,
  retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 1000),
};

/**
 * Cluster options with the same bounds as {@link BOUNDED_REDIS_OPTIONS}, for
 * `new Cluster(nodes, BOUNDED_CLUSTER_OPTIONS)`: no offline queue, and a command that meets a
 * failing primary gives up after a few retries (~0.6 s), so that a session read goes on to
 * the replica and a write answers 503 well within `storeTimeout`.
 */
export const BOUNDED_CLUSTER_OPTIONS: ClusterOptions = {
  enableOfflineQueue: false,
  enableAutoPipelining: true,
  maxRedirections: 6,
  retryDelayOnFailover: 100,
  retryDelayOnClusterDown: 100,
  // Without it the slot table only changes on a MOVED reply: replicas added later (or listed
  // late by a cluster that was still forming) would never be read from during a failover.
  slotsRefreshInterval: 5000,
  redisOptions: {
    connectTimeout: 2000,
    commandTimeout: 1500,
    maxRetriesPerRequest: 1,
  },
};

/**
 * Creates an ioredis client for `url` with {@link BOUNDED_REDIS_OPTIONS}, its errors handled,
 * and resolves once it is connected, or after `connectTimeout` at most (then requests answer
 * 503 until the background reconnection succeeds).
 */
export async function createRedisClient(url: string, options: RedisOptions = {}): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const merged = { ...BOUNDED_REDIS_OPTIONS, ...options };
  const client = new Redis(url, merged);
  handleRedisErrors(client);
  // Without an offline queue, commands sent before the first connection would fail: wait for
  // it (or for its first failure: then Redis is down and 503 answers are right).
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, merged.connectTimeout ?? 2000);
    client.once('ready', done);
    client.once('error', done);
    function done() {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('error', done);
      resolve();
    }
  });
  return client;
}

/**
 * Makes sure the client has an `error` listener: without one, a lost connection is an
 * unhandled 'error' event that ends the process. Command failures still reject the command
 * (and become 503 answers); connection errors are expected while Redis is down.
 */
export function handleRedisErrors(client: Redis | Cluster): void {
  if (client.listenerCount('error') === 0) client.on('error', () => {});
}
