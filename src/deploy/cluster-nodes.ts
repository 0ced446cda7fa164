/**
 * Naming and reaching the nodes of a Redis Cluster, the same way wherever authflow opens a
 * connection of its own to one (replica reads, the session cache's subscriptions).
 *
 * @module
 */
import type { Cluster, Redis } from 'ioredis';

/** A node's address. */
export interface NodeAddress {
  host: string;
  port: number;
}

/** `host:port` of a node connection: how the client's slot table and pool name it. */
export function nodeKey(node: Redis | NodeAddress): string {
  const { host, port } = 'options' in node ? node.options : node;
  return `${host}:${port}`;
}

/**
 * Where `cluster` connects for the node that the nodes announce as `announced` (`host:port`,
 * as in `CLUSTER SLOTS` or a `MOVED` reply): through the client's `natMap`, else as announced.
 */
export function reachableAddress(cluster: Cluster, announced: string): NodeAddress {
  const natMap = cluster.options.natMap;
  const mapped = typeof natMap === 'function' ? natMap(announced) : natMap?.[announced];
  if (mapped) return { host: mapped.host, port: mapped.port };
  const colon = announced.lastIndexOf(':');
  return { host: announced.slice(0, colon), port: Number(announced.slice(colon + 1)) };
}
