/**
 * What deploy mode does with Redis replicas: writes that must survive a failover wait until a
 * replica has them (`WAIT`), and session reads go to a replica while the primary is down.
 * Works the same for a single primary with replicas, Sentinel, and Cluster (per slot).
 *
 * @module
 */
import calculateSlot from 'cluster-key-slot';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';

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
  #known: { count: number; at: number } | undefined;

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
      return nodes === undefined ? 0 : nodes.length - 1;
    }
    const known = this.#known;
    if (!fresh && known !== undefined && Date.now() - known.at < REPLICA_COUNT_MAX_AGE_MS) {
      return known.count;
    }
    const info = await (client as Redis).info('replication');
    const count = Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
    this.#known = { count, at: Date.now() };
    return count;
  }
}

/** Reads a key from a replica of its primary. */
export interface ReplicaReader {
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
  if (client.isCluster) return clusterReplicaReader(client as Cluster);
  const options = (client as Redis).options;
  if (!options.sentinels?.length) return undefined;
  const { Redis } = await import('ioredis');
  // Connected now, so that it is ready the moment the primary goes down.
  const replica = new Redis({
    ...options,
    role: 'slave',
    lazyConnect: false,
    maxRetriesPerRequest: 1,
  });
  replica.on('error', () => {});
  return {
    get: (key) => replica.get(key),
    close() {
      replica.disconnect();
    },
  };
}

function clusterReplicaReader(cluster: Cluster): ReplicaReader {
  return {
    get(key) {
      const replicas = new Set(cluster.slots[calculateSlot(key)]?.slice(1));
      const nodes = cluster
        .nodes('slave')
        .filter((node) => replicas.has(`${node.options.host}:${node.options.port}`));
      if (nodes.length === 0) return Promise.reject(new Error('No replica for this key'));
      return Promise.any(nodes.map((node) => node.get(key)));
    },
    close() {},
  };
}

/**
 * `GET key` on the primary; when that fails (the primary is down), on a replica. A replica
 * never shows a session whose end was acknowledged (see {@link ReplicaAck}); it may miss one
 * created in the last instant before the primary died.
 */
export function getWithFallback(
  client: RedisClient,
  reader: ReplicaReader | undefined,
  key: string,
): Promise<string | null> {
  const primary = client.get(key);
  if (reader === undefined) return primary;
  return primary.catch((error: unknown) =>
    reader.get(key).catch(() => {
      throw error;
    }),
  );
}
