/**
 * What deploy mode does with Redis replicas: writes that must survive a failover wait until a
 * replica has them (`WAIT`), and session reads go to a replica while the primary is down.
 * Works the same for a single primary with replicas, Sentinel, and Cluster (per slot).
 *
 * @module
 */
import calculateSlot from 'cluster-key-slot';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { type NodeAddress, nodeKey, reachableAddress } from './cluster-nodes.js';

/** A client authflow accepts: a single node or Sentinel-managed `Redis`, or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** Options of the replica acknowledgement of session ends and token-set saves. */
export interface ReplicaAckOptions {
  /**
   * How many replicas must have the write before it is acknowledged. Default 1; 0 turns the
   * wait off. Capped by how many replicas the key's primary has: with none, there is no wait.
   */
  replicas?: number;
  /**
   * Milliseconds to wait for them. Default 500. When they do not answer in time the write stays
   * on the primary (it replicates later) but is not acknowledged: the call rejects with
   * {@link ReplicaAckError}, and deploy mode answers 503 `store_unavailable`.
   */
  timeoutMs?: number;
}

/** The replicas did not acknowledge a write in time. */
export class ReplicaAckError extends Error {
  constructor(acked: number, wanted: number) {
    super(`Only ${acked} of ${wanted} Redis replicas acknowledged the write in time.`);
    this.name = 'ReplicaAckError';
  }
}

/** A primary's replica count is asked again after this long (`INFO replication`). */
const REPLICA_COUNT_MAX_AGE_MS = 5000;

/**
 * Sends one-key writes followed, in the same pipeline (so on the same connection and node),
 * by `WAIT replicas timeout`.
 */
export class ReplicaAck {
  readonly #client: RedisClient;
  readonly #replicas: number;
  readonly #timeoutMs: number;
  /** Replica counts by primary (`host:port`; `''` for a single client). */
  readonly #known = new Map<string, { count: number; at: number }>();

  constructor(client: RedisClient, options: ReplicaAckOptions = {}) {
    this.#client = client;
    this.#replicas = options.replicas ?? 1;
    this.#timeoutMs = options.timeoutMs ?? 500;
  }

  /**
   * Runs the commands `add` puts on a pipeline (all on `key`), then waits for the replicas.
   * Resolves the first command's reply; rejects with its error, or with ReplicaAckError.
   */
  async write(key: string, add: (pipeline: ChainableCommander) => void): Promise<unknown> {
    const wanted = this.#replicas === 0 ? 0 : Math.min(this.#replicas, await this.#count(key));
    const pipeline = this.#client.pipeline();
    add(pipeline);
    if (wanted > 0) pipeline.wait(wanted, this.#timeoutMs);
    const results = (await pipeline.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    if (wanted > 0) {
      const acked = Number(results.at(-1)?.[1]);
      // A primary that lost its replicas meanwhile (e.g. a replica was promoted away) has none
      // to wait for: the write is as durable as it can be.
      if (acked < wanted && (await this.#count(key, true)) > 0) {
        throw new ReplicaAckError(acked, wanted);
      }
    }
    return results[0]?.[1];
  }

  /** How many replicas the primary of `key` has. */
  async #count(key: string, fresh = false): Promise<number> {
    const client = this.#client;
    if (client.isCluster) {
      // The client's slot table (from CLUSTER SLOTS, which leaves out failed replicas).
      const nodes = (client as Cluster).slots[calculateSlot(key)];
      const listed = nodes === undefined ? 0 : nodes.length - 1;
      if (listed > 0 || nodes === undefined) return listed;
      // The table is only as new as the client's last CLUSTER SLOTS: a client that connected
      // while the cluster was forming, or before a replica was added, lists none. Ask the
      // primary itself, as for a single node.
      const primary = (client as Cluster)
        .nodes('master')
        .find((node) => nodeKey(node) === nodes[0]);
      return primary === undefined
        ? 0
        : this.#connectedReplicas(primary, nodes[0] as string, fresh);
    }
    return this.#connectedReplicas(client as Redis, '', fresh);
  }

  /** `connected_slaves` of `node` (`INFO replication`), remembered per node for a while. */
  async #connectedReplicas(node: Redis, name: string, fresh: boolean): Promise<number> {
    const known = this.#known.get(name);
    if (!fresh && known !== undefined && Date.now() - known.at < REPLICA_COUNT_MAX_AGE_MS) {
      return known.count;
    }
    // INFO may be refused (an ACL without it) or fail with the connection: then the write
    // goes ahead unwaited (and fails by itself if Redis is down); nothing is cached.
    const info = await node.info('replication').catch(() => undefined);
    if (info === undefined) return 0;
    const count = Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
    this.#known.set(name, { count, at: Date.now() });
    return count;
  }
}

/** Reads a key from a replica of its primary. */
export interface ReplicaReader {
  /** Whether the primary of `key` is known to be down (its connection failed, not ready since). */
  primaryDown(key: string): boolean;
  /** `GET key` on a replica; rejects when none answers. */
  get(key: string): Promise<string | null>;
  /** Closes what the reader opened itself. */
  close(): void;
}

/**
 * A reader for `client`'s replicas: a Cluster's own replica connections (opened `READONLY`),
 * or, for a Sentinel-managed client, a second client with the same options and
 * `role: 'slave'`. `undefined` for a single node: it has no replica to ask.
 */
export async function replicaReader(client: RedisClient): Promise<ReplicaReader | undefined> {
  if (client.isCluster) {
    const { Redis } = await import('ioredis');
    return clusterReplicaReader(client as Cluster, Redis);
  }
  const primary = client as Redis;
  if (!primary.options.sentinels?.length) return undefined;
  const { Redis } = await import('ioredis');
  return sentinelReplicaReader(primary, Redis);
}

function sentinelReplicaReader(primary: Redis, NodeClient: typeof Redis): ReplicaReader {
  const options = primary.options;
  // Connected now, so that it is ready the moment the primary goes down.
  const replica = new NodeClient({ ...options, role: 'slave', lazyConnect: false });
  replica.on('error', () => {});
  // Sentinel promotes the replica with `REPLICAOF NO ONE` and `CLIENT KILL TYPE normal` in one
  // transaction: the replica client's connection drops, and the sentinels then list no replica
  // to reconnect to. Until the primary's client finds the new primary (a second or more later),
  // reads go to the promoted node at the address the replica client last used, over a direct
  // connection. That includes the reads sent in the instant the connection dropped: ioredis
  // still says 'ready' and fails them at once ("Stream isn't writeable").
  let address: NodeAddress | undefined;
  let direct: Redis | undefined;
  replica.on('ready', () => {
    const { remoteAddress, remotePort } = replica.stream as {
      remoteAddress?: string;
      remotePort?: number;
    };
    if (remoteAddress === undefined || remotePort === undefined) return;
    if (address?.host === remoteAddress && address.port === remotePort) return;
    address = { host: remoteAddress, port: remotePort };
    direct?.disconnect();
    direct = undefined;
  });
  // Reads on their way when the connection drops would wait for a reconnection that fails
  // (the promoted node is no replica) until `commandTimeout`: they go direct at once instead.
  const onTheirWay = new Set<(error: unknown) => void>();
  replica.on('close', () => {
    for (const fail of [...onTheirWay]) fail(new Error('The replica connection dropped'));
  });
  let closed = false;
  const directGet = (key: string, error?: unknown): Promise<string | null> => {
    if (address === undefined || closed) return Promise.reject(error ?? new Error('No replica'));
    if (direct === undefined) {
      direct = new NodeClient({
        ...options,
        sentinels: undefined,
        name: undefined,
        role: undefined,
        host: address.host,
        port: address.port,
        enableOfflineQueue: true,
        maxRetriesPerRequest: 1,
      });
      direct.on('error', () => {});
    }
    return direct.get(key);
  };
  return {
    // 'wait': a lazyConnect client that has not sent anything yet, not a primary that is down.
    primaryDown: () => primary.status !== 'ready' && primary.status !== 'wait',
    get(key) {
      if (replica.status !== 'ready' && address !== undefined) return directGet(key);
      return new Promise<string | null>((resolve, reject) => {
        const fail = (error: unknown) => {
          if (onTheirWay.delete(fail)) reject(error);
        };
        onTheirWay.add(fail);
        replica.get(key).then((value) => {
          if (onTheirWay.delete(fail)) resolve(value);
        }, fail);
      }).catch((error: unknown) => directGet(key, error));
    },
    close() {
      closed = true;
      replica.disconnect();
      direct?.disconnect();
    },
  };
}

/** How long a read waits for the nodes' `CLUSTER SLOTS` when its slot table lists no replica. */
const ASK_SLOTS_MS = 500;
/** How long such an answer is used before the nodes are asked again. */
const SLOTS_MAX_AGE_MS = 1000;

/** `CLUSTER SLOTS`: ranges of slots with their primary, then replicas, as `[host, port, ...]`. */
type SlotRanges = [number, number, ...[string, number, ...unknown[]][]][];

function clusterReplicaReader(cluster: Cluster, NodeClient: typeof Redis): ReplicaReader {
  // Connections of our own, to nodes the client has no ready connection to (see `get`).
  const own = new Map<string, Redis>();
  let closed = false;
  // Nodes ("host:port") whose connection failed and has not been ready since; the client drops
  // a dead node's connection from its pool and keeps making new ones, so a node stays here
  // until it is ready again or the slot table no longer names it as a primary. Empty while all
  // is well, so that the check on every read costs one size test.
  const down = new Set<string>();
  // Every listener put on the app's client, so that close() takes them all off again.
  const unwatch: (() => void)[] = [];
  const watch = (node: Redis) => {
    const key = nodeKey(node);
    const update = () => {
      if (node.status === 'ready') down.delete(key);
      // 'wait': a connection not opened yet, which says nothing about the node.
      else if (node.status !== 'wait') down.add(key);
    };
    node.on('ready', update);
    node.on('close', update);
    unwatch.push(() => {
      node.off('ready', update);
      node.off('close', update);
    });
    update();
    // The Cluster client connects to a replica only when a command first goes there: too late
    // once its primary is gone and no offline queue lets the command wait.
    if (node.status === 'wait') node.connect().catch(() => {});
  };
  for (const node of cluster.nodes('all')) watch(node);
  const prune = () => {
    if (down.size === 0) return;
    const primaries = new Set(cluster.slots.map((owners) => owners?.[0]));
    for (const key of down) if (!primaries.has(key)) down.delete(key);
  };
  cluster.on('+node', watch);
  cluster.on('refresh', prune);
  unwatch.push(() => {
    cluster.off('+node', watch);
    cluster.off('refresh', prune);
  });

  const readyReplicas = (slot: number) => {
    const replicas = cluster.slots[slot]?.slice(1) ?? [];
    if (replicas.length === 0) return [];
    return cluster
      .nodes('all')
      .filter((node) => node.status === 'ready' && replicas.includes(nodeKey(node)));
  };
  // The nodes' own `CLUSTER SLOTS`, asked of every reachable node but `primary` at once (the
  // first answer wins), one request at a time, remembered for a second.
  let asked: { at: number; ranges: Promise<SlotRanges | undefined> } | undefined;
  const askSlots = (primary: string | undefined) => {
    if (asked === undefined || Date.now() - asked.at > SLOTS_MAX_AGE_MS) {
      const nodes = cluster
        .nodes('all')
        .filter((node) => node.status === 'ready' && nodeKey(node) !== primary);
      const answers = nodes.map((node) => node.cluster('SLOTS') as Promise<SlotRanges>);
      const timeout = new Promise<undefined>((resolve) => setTimeout(resolve, ASK_SLOTS_MS));
      asked = {
        at: Date.now(),
        ranges: Promise.race([Promise.any(answers), timeout]).catch(() => undefined),
      };
      // The client's own table catches up too, for the reads after this one.
      cluster.refreshSlotsCache();
    }
    return asked.ranges;
  };
  /** The replicas of `slot` the nodes list, on connections of our own. */
  const askedReplicas = async (slot: number, primary: string | undefined) => {
    const ranges = (await askSlots(primary)) ?? [];
    const owners = ranges.find(([start, end]) => start <= slot && slot <= end)?.slice(2) ?? [];
    return (owners as [string, number][])
      .slice(1)
      .map(([host, port]) => reachableAddress(cluster, `${host}:${port}`))
      .filter((to) => nodeKey(to) !== primary && !closed)
      .map(direct);
  };

  return {
    primaryDown(key) {
      if (down.size === 0) return false;
      const primary = cluster.slots[calculateSlot(key)]?.[0];
      return primary !== undefined && down.has(primary);
    },
    async get(key) {
      const slot = calculateSlot(key);
      const primary = cluster.slots[slot]?.[0];
      let nodes = readyReplicas(slot);
      if (nodes.length === 0 && !closed) {
        // A table from before the replicas were listed (a client that connected while the
        // cluster formed, or before a replica was added), or none of them connected yet.
        nodes = await askedReplicas(slot, primary);
      }
      // The table can also lag behind a failover (the replica already promoted): then any
      // live node but the old primary may hold the key, and the others answer MOVED.
      if (nodes.length === 0) {
        nodes = cluster
          .nodes('all')
          .filter((node) => node.status === 'ready' && nodeKey(node) !== primary);
      }
      if (nodes.length === 0) throw new Error('No replica for this key');
      try {
        return await Promise.any(nodes.map((node) => node.get(key)));
      } catch (error) {
        // Every node said MOVED to a node the client has no ready connection to yet (a replica
        // just promoted): ask that node on a connection of our own. Not the primary that
        // failed: the nodes name it until they see it fail.
        const moved = (error as AggregateError).errors
          .map((cause) => /^MOVED \d+ (\S+:\d+)$/.exec(String((cause as Error)?.message)))
          .map((match) => match && reachableAddress(cluster, match[1] as string))
          .find((to) => to && nodeKey(to) !== primary);
        if (!moved) throw error;
        return direct(moved).get(key);
      }
    },
    close() {
      closed = true;
      for (const off of unwatch.splice(0)) off();
      for (const connection of own.values()) connection.disconnect();
      own.clear();
    },
  };

  function direct({ host, port }: NodeAddress): Redis {
    if (closed) throw new Error('The replica reader is closed');
    const key = nodeKey({ host, port });
    let connection = own.get(key);
    if (connection === undefined) {
      // The Cluster's node options; READONLY, as the key may be a replica's.
      connection = new NodeClient({
        ...cluster.options.redisOptions,
        host,
        port,
        readOnly: true,
        enableOfflineQueue: true,
        maxRetriesPerRequest: 1,
      });
      connection.on('error', () => {});
      own.set(key, connection);
    }
    return connection;
  }
}

/** A session read that the primary has not answered after this long also goes to a replica. */
const HEDGE_AFTER_MS = 250;

/** How long a session read that neither a replica nor the primary answered waits to try again. */
const RETRY_READ_AFTER_MS = 100;
/** Only a first attempt that failed this quickly is tried again (a connection being remade). */
const RETRY_IF_FAILED_WITHIN_MS = 300;

/** Sessions that a replica answered: served, never cached (see {@link markReadFromReplica}). */
const readFromReplicas = new WeakSet<object>();

/**
 * Marks `session` as read from a replica. A session cache must not keep it: with more
 * replicas than `replicaAck` waits for, one may still lag behind an acknowledged logout, and
 * a cached copy would outlive the logout by the cache's whole `maxAgeSeconds`.
 */
export function markReadFromReplica(session: object): void {
  readFromReplicas.add(session);
}

/** Whether `session` was read from a replica (see {@link markReadFromReplica}). */
export function wasReadFromReplica(session: object): boolean {
  return readFromReplicas.has(session);
}

/**
 * `GET key` on the primary; on a replica instead while the primary is known to be down, and
 * also on a replica when the primary fails or has not answered within 250 ms (commands in
 * flight when a primary dies can be retried by the client for seconds). A value from either
 * wins; a replica's "no such key" counts only once the primary has failed, since a replica may
 * miss a session created an instant ago. A replica never shows a session whose end was
 * acknowledged (see {@link ReplicaAck}).
 *
 * When neither answers at once (within 300 ms), the read is tried once more 100 ms later:
 * around a promotion the client remakes its connections and re-reads its slot table, and for
 * an instant neither the old route nor the new one may be usable. A second failure, or a
 * first one that took longer (Redis hanging: a retry would only double the wait), is final.
 *
 * `onReplica` is called when the value comes from a replica.
 */
export function getWithFallback(
  client: RedisClient,
  reader: ReplicaReader | undefined,
  key: string,
  onReplica?: () => void,
): Promise<string | null> {
  if (reader === undefined) return client.get(key);
  const started = Date.now();
  return readFromEither(client, reader, key, onReplica).catch((error: unknown) => {
    if (Date.now() - started > RETRY_IF_FAILED_WITHIN_MS) throw error;
    return new Promise((resolve) => setTimeout(resolve, RETRY_READ_AFTER_MS)).then(() =>
      readFromEither(client, reader, key, onReplica),
    );
  });
}

/** One attempt of {@link getWithFallback}. */
function readFromEither(
  client: RedisClient,
  reader: ReplicaReader,
  key: string,
  onReplica: (() => void) | undefined,
): Promise<string | null> {
  if (reader.primaryDown(key)) {
    return reader.get(key).then(
      (value) => {
        onReplica?.();
        return value;
      },
      (replicaError: unknown) =>
        client.get(key).catch((primaryError: unknown) => {
          throw bothFailed(replicaError, primaryError);
        }),
    );
  }
  return new Promise((resolve, reject) => {
    let done = false;
    let primaryError: unknown;
    let replicaError: unknown;
    let replica: 'unasked' | 'pending' | 'missing' | 'failed' = 'unasked';
    const finish = (value: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(value);
    };
    // No replica may mean one was just promoted: then the primary answers again.
    const retryPrimary = () =>
      client.get(key).then(finish, (error: unknown) => {
        if (!done) {
          done = true;
          reject(bothFailed(replicaError, error));
        }
      });
    const askReplica = () => {
      if (replica !== 'unasked' || done) return;
      replica = 'pending';
      reader.get(key).then(
        (value) => {
          if (done) return;
          if (value !== null || primaryError !== undefined) {
            onReplica?.();
            finish(value);
          } else replica = 'missing';
        },
        (error: unknown) => {
          replica = 'failed';
          replicaError = error;
          if (primaryError !== undefined) retryPrimary();
        },
      );
    };
    const timer = setTimeout(askReplica, HEDGE_AFTER_MS);
    client.get(key).then(finish, (error: unknown) => {
      primaryError = error ?? new Error('Redis read failed');
      if (replica === 'unasked') askReplica();
      else if (replica === 'missing') finish(null);
      else if (replica === 'failed') retryPrimary();
    });
  });
}

/**
 * The error of a read that neither a replica nor the primary could answer: both causes, so
 * that `onError` shows an operator why (the route still answers 503 `store_unavailable`).
 */
function bothFailed(replicaError: unknown, primaryError: unknown): AggregateError {
  return new AggregateError(
    [replicaError, primaryError],
    'Neither a replica nor the primary answered the session read',
  );
}
