/**
 * A throwaway redis-server for the benches: loopback only, no persistence, on a free port,
 * optionally pinned to one CPU with `taskset`. (The tests' helper, `test/helpers/redis.ts`,
 * loads `node:test`, which a bench must not.)
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../test/helpers/ports.js';

/**
 * Starts redis-server (`REDIS_SERVER` or the one on the PATH) and resolves once it answers
 * `PING`. The caller stops `child`.
 */
export async function startRedisServer(
  options: { cpu?: string } = {},
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const command = [
    process.env.REDIS_SERVER ?? 'redis-server',
    ...['--port', String(port), '--bind', '127.0.0.1'],
    ...['--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
  ];
  const child =
    options.cpu === undefined
      ? spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] })
      : spawn('taskset', ['-c', options.cpu, ...command], {
          stdio: ['ignore', 'ignore', 'inherit'],
        });
  const { Redis } = await import('ioredis');
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      return { url: `redis://127.0.0.1:${port}`, child };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      probe.disconnect();
    }
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not start');
}
