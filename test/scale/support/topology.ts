// Real Redis topologies for the scale tests, on 127.0.0.1 and random ports, always stopped:
// a Cluster (3 primaries + 3 replicas, `redis-cli --cluster create`) and a Sentinel set-up
// (primary, replica, 3 sentinels). Nothing is persisted; each lives in its own temp folder.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { REDIS_CLI_PATH, REDIS_TEST_ARGS, RedisProcess, useStarted } from '../../helpers/redis.js';

const run = promisify(execFile);

/** One redis-server (or sentinel) process of a topology. */
export type Node = RedisProcess;

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster-bus twin (port + 10000) is free as well. */
async function freePortPair(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error('No free port pair');
}

/** Polls `check` every 100 ms until it resolves true, or throws after `ms`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** A running Redis Cluster of 3 primaries with one replica each. */
export interface TestCluster {
  readonly nodes: readonly Node[];
  /** `[{ host, port }]` of every node, for `new Cluster(...)`. */
  readonly startupNodes: { host: string; port: number }[];
  /** The node currently serving `slot` as a primary. */
  primaryOf(slot: number): Promise<Node>;
  /** The live replicas of `slot`'s primary. */
  replicasOf(slot: number): Promise<Node[]>;
  /** Waits until every live node reports `cluster_state:ok` and `slot` has a live primary other than `old`. */
  waitForPromotion(old: Node, slot: number): Promise<Node>;
  stop(): Promise<void>;
}

/** A cluster-mode test node on `port`, its files (node config included) in `dir`. */
function clusterNodeArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    ...REDIS_TEST_ARGS,
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, `nodes-${port}.conf`),
    '--dir',
    dir,
  ];
}

/** Starts a 6-node cluster (`--cluster-replicas 1`) and waits until it is fully up. */
export async function startCluster(nodeTimeoutMs = 1000): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'authflow-cluster-'));
  const taken = new Set<number>();
  const nodes: Node[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePortPair(taken);
      nodes.push(
        new RedisProcess(port, [
          ...clusterNodeArgs(port, dir),
          '--cluster-node-timeout',
          String(nodeTimeoutMs),
          // A replica keeps serving reads while its primary is down (docs/deploy.md).
          '--cluster-allow-reads-when-down',
          'yes',
        ]),
      );
    }
    for (const node of nodes) node.start();
    for (const node of nodes) await node.waitReady();
    await run(
      REDIS_CLI_PATH,
      [
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    await waitFor(
      'cluster_state:ok',
      async () => {
        for (const node of nodes) {
          if (!(await node.cli('CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        }
        // Every node lists all three replicas (what its CLUSTER SLOTS will hand to clients).
        for (const node of nodes) {
          const lines = (await node.cli('CLUSTER', 'NODES')).split('\n');
          const replicas = lines.filter((line) => {
            const [, , flags, , , , , link] = line.split(' ');
            return flags?.includes('slave') && !flags.includes('fail') && link === 'connected';
          });
          if (replicas.length < 3) return false;
        }
        // Every replica has finished its first sync.
        for (const node of nodes) {
          const info = await node.cli('INFO', 'replication');
          if (info.includes('role:slave') && !info.includes('master_link_status:up')) return false;
        }
        return true;
      },
      30_000,
    );
  } catch (error) {
    await Promise.all(nodes.map((node) => node.kill()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const byPort = new Map(nodes.map((node) => [node.port, node]));
  const live = () => nodes.filter((node) => node.alive);
  async function ownersOf(
    slot: number,
    among = live(),
  ): Promise<{ primary: Node; replicas: Node[] }> {
    for (const node of among) {
      const client = new Redis({
        host: '127.0.0.1',
        port: node.port,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
      });
      client.on('error', () => {});
      try {
        const ranges = (await client.call('CLUSTER', 'SLOTS')) as [
          number,
          number,
          ...[string, number][],
        ][];
        for (const [start, end, ...owners] of ranges) {
          if (start <= slot && slot <= end) {
            const found = owners.map(([, port]) => byPort.get(Number(port)));
            if (found.every((owner) => owner !== undefined)) {
              return { primary: found[0] as Node, replicas: found.slice(1) as Node[] };
            }
          }
        }
      } catch {
        // A node that is going down: ask the next one.
      } finally {
        client.disconnect();
      }
    }
    throw new Error(`No primary for slot ${slot}`);
  }
  return {
    nodes,
    startupNodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    primaryOf: async (slot) => (await ownersOf(slot)).primary,
    replicasOf: async (slot) => (await ownersOf(slot)).replicas,
    async waitForPromotion(old, slot) {
      let promoted: Node | undefined;
      await waitFor('a promoted replica', async () => {
        const alive = live();
        for (const node of alive) {
          if (!(await node.cli('CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        }
        const owner = (await ownersOf(slot, alive)).primary;
        if (owner === old) return false;
        promoted = owner;
        return (await owner.cli('ROLE')).startsWith('master');
      });
      return promoted as Node;
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A single cluster-mode node that owns every slot: a real Cluster in one process. */
export async function startOneNodeCluster(): Promise<{ node: Node; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'authflow-cluster1-'));
  const port = await freePortPair(new Set());
  const node = new RedisProcess(port, [
    ...clusterNodeArgs(port, dir),
    // A node that never met another does not know its own address: CLUSTER SLOTS needs it.
    '--cluster-announce-ip',
    '127.0.0.1',
  ]);
  const stop = async () => {
    await node.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    node.start();
    await node.waitReady();
    await node.cli('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await waitFor('cluster_state:ok', async () =>
      (await node.cli('CLUSTER', 'INFO')).includes('cluster_state:ok'),
    );
    return { node, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A running Sentinel set-up: a primary, a replica and 3 sentinels watching `name`. */
export interface TestSentinel {
  readonly name: string;
  readonly primary: Node;
  readonly replica: Node;
  readonly sentinels: readonly Node[];
  /** `[{ host, port }]` of the sentinels, for `new Redis({ sentinels, name })`. */
  readonly sentinelAddresses: { host: string; port: number }[];
  /** The port the sentinels currently report as the primary's. */
  currentPrimaryPort(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts a primary, a replica and 3 sentinels (quorum 2, down after 1 s). */
export async function startSentinel(downAfterMs = 1000): Promise<TestSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'authflow-sentinel-'));
  const taken = new Set<number>();
  const name = 'authflow';
  const all: Node[] = [];
  try {
    const primaryPort = await freePortPair(taken);
    const replicaPort = await freePortPair(taken);
    const primary = new RedisProcess(primaryPort, [
      '--port',
      String(primaryPort),
      ...REDIS_TEST_ARGS,
      '--dir',
      dir,
    ]);
    const replica = new RedisProcess(replicaPort, [
      '--port',
      String(replicaPort),
      ...REDIS_TEST_ARGS,
      '--dir',
      dir,
      '--replicaof',
      '127.0.0.1',
      String(primaryPort),
    ]);
    all.push(primary, replica);
    primary.start();
    replica.start();
    await waitFor('the replica to sync', async () =>
      (await replica.cli('INFO', 'replication')).includes('master_link_status:up'),
    );
    const sentinels: Node[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePortPair(taken);
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = new RedisProcess(port, [conf, '--sentinel', '--loglevel', 'warning']);
      sentinels.push(sentinel);
      all.push(sentinel);
      sentinel.start();
    }
    for (const sentinel of sentinels) {
      await waitFor('a sentinel to see the replica and its peers', async () => {
        const text = await sentinel.cli('SENTINEL', 'MASTER', name);
        const lines = text.split('\n').map((line) => line.trim());
        const field = (key: string) => Number(lines[lines.indexOf(key) + 1]);
        return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2;
      });
    }
    return {
      name,
      primary,
      replica,
      sentinels,
      sentinelAddresses: sentinels.map((node) => ({ host: '127.0.0.1', port: node.port })),
      async currentPrimaryPort() {
        for (const sentinel of sentinels) {
          const text = await sentinel
            .cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)
            .catch(() => '');
          const port = Number(text.split('\n')[1]);
          if (port > 0) return port;
        }
        throw new Error('No sentinel answered');
      },
      async stop() {
        await Promise.all(all.map((node) => node.kill()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(all.map((node) => node.kill()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** node:test fixture: a cluster for the enclosing describe, stopped after it even on failure. */
export function useCluster(): () => TestCluster {
  return useStarted('useCluster(): the cluster', () => startCluster());
}

/** node:test fixture: a Sentinel set-up for the enclosing describe, stopped after it. */
export function useSentinel(): () => TestSentinel {
  return useStarted('useSentinel(): the Sentinel set-up', () => startSentinel());
}
