/**
 * How a worker's session cache hears that a session changed or ended: the ids that
 * {@link RedisSessionStore} publishes on `<keyPrefix>session-invalidate`, and whether every
 * such message is sure to reach this worker right now. One node (a single server, or the
 * primary a Sentinel-managed client follows) needs one subscription; a Cluster needs one on
 * every primary.
 *
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { ClusterInvalidationChannel } from './cluster-invalidation-channel.js';
import { NodeInvalidationChannel } from './node-invalidation-channel.js';
import type { RedisClient } from './redis-replicas.js';

/** What a channel tells its listener. */
export interface InvalidationListener {
  /** `sessionId` was written or deleted (possibly told more than once). */
  message(sessionId: string): void;
  /** Messages may be missed from now on (a subscription closed, failed or is missing). */
  down(): void;
  /** Every message is delivered again, from now on; whatever was published before is unknown. */
  up(): void;
}

/** A source of invalidation messages with a known health. */
export interface InvalidationChannel {
  /** Whether every message published now reaches the listener. */
  readonly up: boolean;
  /** Starts subscribing and delivering to `listener` (once). */
  listen(listener: InvalidationListener): void;
  /** Stops: closes every connection the channel opened, and tells the listener nothing more. */
  close(): void;
}

/**
 * The invalidation channel named `name` for `client`: subscriptions on connections of its
 * own (a duplicate of a single or Sentinel-managed client, plain connections to every primary
 * of a Cluster), so that the app's client is never put in subscriber mode. `report` hears of
 * the first failure of each run of refused subscriptions (not of every retry).
 */
export async function openInvalidationChannel(
  client: RedisClient,
  name: string,
  report?: (error: Error) => void,
): Promise<InvalidationChannel> {
  if (client.isCluster) {
    const { Redis } = await import('ioredis');
    return new ClusterInvalidationChannel(client as Cluster, name, Redis, report);
  }
  // Resubscribed by hand on every connection, so that the channel is up again only once the
  // subscription is confirmed.
  const subscriber = (client as Redis).duplicate({ autoResubscribe: false, lazyConnect: true });
  return new NodeInvalidationChannel(subscriber, name, report);
}
