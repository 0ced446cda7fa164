/**
 * The invalidation channel on a Redis Cluster: a subscription on every primary of the client's
 * slot table, each a {@link NodeInvalidationChannel} on a plain connection of its own.
 *
 * A `PUBLISH` on a Cluster reaches the subscribers of the node that ran it directly, and the
 * other nodes' only over the cluster bus. Subscribed to every primary, a worker hears each
 * session write from the very node that made it, so a cut in the bus (which the worker's own
 * connections cannot see) loses nothing. The channel is up only while every primary in the
 * current slot table has a confirmed subscription; a slot table naming a primary without one
 * (a failover, a resharding) takes it down until that primary is subscribed too.
 *
 * A primary cut off from most of the cluster still answers its subscribers, while the others
 * may promote its replica and take writes this worker would not hear of (its slot table still
 * names the old primary). Such a primary says so (`cluster_state:fail`) after
 * `cluster-node-timeout`, before any promotion: the heartbeat asks every primary's
 * `CLUSTER INFO` and takes the channel down while one of them reports a failing cluster.
 *
 * While down, the heartbeat also has the client re-read its slot table (each time on a new
 * connection, in ioredis): after 0 s, 1 s, 2 s, 4 s ... at most 30 s, so that a channel that
 * stays down (slots without an owner, a refused subscription) costs no connection a second.
 *
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { type NodeAddress, nodeKey, reachableAddress } from './cluster-nodes.js';
import type { InvalidationChannel, InvalidationListener } from './invalidation-channel.js';
import { HEARTBEAT_MS, NodeInvalidationChannel, retryDelay } from './node-invalidation-channel.js';

/** Hash slots of a Redis Cluster. */
const SLOTS = 16384;

/** Subscribes to `name` on every primary of `cluster`, following its slot table. */
export class ClusterInvalidationChannel implements InvalidationChannel {
  readonly #cluster: Cluster;
  readonly #name: string;
  readonly #NodeClient: typeof Redis;
  readonly #report: ((error: Error) => void) | undefined;
  /** Subscriptions by primary (`host:port` as connected to, after `natMap`). */
  readonly #nodes = new Map<string, NodeInvalidationChannel>();
  /** Primaries whose last `CLUSTER INFO` said `cluster_state:fail`. */
  readonly #failing = new Set<string>();
  readonly #update = () => this.#check(false);
  #listener: InvalidationListener | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  /** Slot-table refreshes asked for since the channel was last up. */
  #refreshes = 0;
  /** Heartbeats to let pass before the next refresh. */
  #refreshIn = 0;
  #up = false;
  #closed = false;

  /**
   * @param NodeClient ioredis' `Redis` (imported lazily by the caller).
   * @param report Told of the first failure of each run of refused subscriptions, per primary.
   */
  constructor(
    cluster: Cluster,
    name: string,
    NodeClient: typeof Redis,
    report?: (error: Error) => void,
  ) {
    this.#cluster = cluster;
    this.#name = name;
    this.#NodeClient = NodeClient;
    this.#report = report;
  }

  get up(): boolean {
    return this.#up;
  }

  listen(listener: InvalidationListener): void {
    this.#listener = listener;
    // A new slot table (after a failover, a MOVED, `slotsRefreshInterval`) may name a new
    // primary: take the channel down at once if it has no subscription yet.
    this.#cluster.on('refresh', this.#update);
    this.#cluster.on('+node', this.#update);
    this.#cluster.on('-node', this.#update);
    this.#heartbeat = setInterval(() => this.#check(true), HEARTBEAT_MS);
    this.#heartbeat.unref?.();
    this.#check(false);
  }

  close(): void {
    this.#closed = true;
    this.#up = false;
    clearInterval(this.#heartbeat);
    this.#cluster.off('refresh', this.#update);
    this.#cluster.off('+node', this.#update);
    this.#cluster.off('-node', this.#update);
    for (const node of this.#nodes.values()) node.close();
    this.#nodes.clear();
    this.#failing.clear();
  }

  /**
   * Subscribes to the primaries that have no subscription, closes those of nodes that are no
   * longer primaries, and sets the channel up or down. On the heartbeat, while down, it also
   * has the client re-read its slot table (backing off), so that a promoted replica is found
   * without waiting for the next MOVED or `slotsRefreshInterval`.
   */
  #check(heartbeat: boolean): void {
    if (this.#closed) return;
    const { primaries, complete } = this.#primaries();
    for (const [key, node] of this.#nodes) {
      // A table with holes says nothing about the nodes missing from it.
      if (primaries.has(key) || !complete) continue;
      node.close();
      this.#nodes.delete(key);
      this.#failing.delete(key);
    }
    for (const [key, address] of primaries) {
      if (!this.#nodes.has(key)) this.#nodes.set(key, this.#subscribe(address));
    }
    let all = complete;
    for (const key of primaries.keys()) {
      if (!this.#nodes.get(key)?.up || this.#failing.has(key)) all = false;
    }
    if (heartbeat) this.#askStates();
    if (all) {
      this.#refreshes = 0;
      this.#refreshIn = 0;
      if (!this.#up) {
        this.#up = true;
        this.#listener?.up();
      }
    } else {
      this.#down();
      if (heartbeat) this.#refreshLater();
    }
  }

  /**
   * Has the client re-read its slot table on the first heartbeat of a down spell, then after
   * 1 s, 2 s, 4 s ... at most 30 s (counted in heartbeats, so never more than one a second).
   */
  #refreshLater(): void {
    if (this.#refreshIn > 0) {
      this.#refreshIn--;
      return;
    }
    if (this.#cluster.status !== 'ready') return;
    this.#refreshes++;
    this.#refreshIn = Math.round(retryDelay(this.#refreshes) / HEARTBEAT_MS) - 1;
    this.#cluster.refreshSlotsCache();
  }

  #down(): void {
    if (!this.#up) return;
    this.#up = false;
    this.#listener?.down();
  }

  /**
   * Asks each subscribed primary for its view of the cluster, on the client's own connection to
   * it; a failed question proves nothing (the subscription's own heartbeat covers the node).
   */
  #askStates(): void {
    for (const node of this.#cluster.nodes('master')) {
      const key = nodeKey(node);
      if (!this.#nodes.get(key)?.up || node.status !== 'ready') continue;
      (node.cluster('INFO') as Promise<string>).then(
        (info) => {
          // Closed, or no longer a primary meanwhile: nothing to say about it.
          if (this.#closed || !this.#nodes.has(key)) return;
          const failing = !/^cluster_state:ok\b/m.test(info);
          if (failing === this.#failing.has(key)) return;
          if (failing) this.#failing.add(key);
          else this.#failing.delete(key);
          this.#check(false);
        },
        () => {},
      );
    }
  }

  /**
   * The primaries of the slot table, by `host:port`, with the address to connect to, and
   * whether the table names an owner for every slot (an empty table, before the client's first
   * `CLUSTER SLOTS`, or one with holes, could leave out a primary that takes writes).
   */
  #primaries(): { primaries: Map<string, NodeAddress>; complete: boolean } {
    const primaries = new Map<string, NodeAddress>();
    const seen = new Set<string>();
    const slots = this.#cluster.slots;
    let complete = true;
    for (let slot = 0; slot < SLOTS; slot++) {
      const owner = slots[slot]?.[0];
      if (owner === undefined) {
        complete = false;
        continue;
      }
      if (seen.has(owner)) continue;
      seen.add(owner);
      // The table holds addresses after `natMap`, except for slots a MOVED reply updated (the
      // address the nodes announce): mapped here so that both name one connection.
      const address = reachableAddress(this.#cluster, owner);
      primaries.set(nodeKey(address), address);
    }
    return { primaries, complete };
  }

  #subscribe({ host, port }: NodeAddress): NodeInvalidationChannel {
    const options = this.#cluster.options.redisOptions ?? {};
    const connection = new this.#NodeClient({
      // The Cluster's node options (password, TLS, timeouts).
      ...options,
      host,
      port,
      lazyConnect: true,
      autoResubscribe: false,
      readOnly: false,
      enableOfflineQueue: false,
      connectTimeout: options.connectTimeout ?? 2000,
      // A node that is gone for good is retried at most every second, until the slot table
      // drops it (then this connection is closed); never faster than every 100 ms. A node that
      // answers but refuses the subscription is retried by the channel itself, backing off.
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 4), 1000),
    });
    const node = new NodeInvalidationChannel(connection, this.#name, this.#report);
    node.listen({
      message: (sessionId) => {
        if (!this.#closed) this.#listener?.message(sessionId);
      },
      down: () => this.#down(),
      up: () => this.#check(false),
    });
    return node;
  }
}
