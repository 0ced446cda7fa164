// A real redis-server for tests: started on a random free port on 127.0.0.1, without
// persistence, and always stopped (also when the test process exits early).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import { after, before } from 'node:test';
import { Redis } from 'ioredis';

/** Where redis-server is installed (`.ci/run` installs it when missing). */
export const REDIS_SERVER_PATH = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

/** A running test Redis. */
export interface TestRedis {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Kills the server (SIGKILL, like a crash) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted) and waits until it answers. */
  restart(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open but nothing answers. */
  pause(): void;
  /** Unfreezes it (SIGCONT). */
  resume(): void;
  /** Stops it for good. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || address === null) throw new Error('No port');
  return address.port;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

function spawnRedis(port: number): ChildProcess {
  const child = spawn(
    REDIS_SERVER_PATH,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function waitReady(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('redis-server did not answer within 10 s');
}

async function killChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Starts a redis-server on a free port. The caller stops it (see {@link useRedis}). */
export async function startRedis(): Promise<TestRedis> {
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; attempt < 5 && child === undefined; attempt++) {
    port = await freePort();
    const candidate = spawnRedis(port);
    try {
      await waitReady(candidate, port);
      child = candidate;
    } catch (error) {
      await killChild(candidate);
      if (attempt === 4) throw error;
    }
  }
  let stopped = false;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      await killChild(child);
    },
    async restart() {
      if (stopped) throw new Error('This Redis was stopped for good.');
      await killChild(child);
      child = spawnRedis(port);
      await waitReady(child, port);
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async stop() {
      stopped = true;
      await killChild(child);
    },
  };
}

/**
 * node:test fixture: starts Redis before the tests of the enclosing describe/file and stops it
 * after them, even when they fail. The returned function gives the Redis inside tests.
 */
export function useRedis(): () => TestRedis {
  let redis: TestRedis | undefined;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });
  return () => {
    if (redis === undefined)
      throw new Error('useRedis(): Redis is not started yet (use it inside tests).');
    return redis;
  };
}

/**
 * node:test fixture: a plain ioredis client on the Redis of `redis` (a {@link useRedis}
 * fixture), for tests that look into the store; disconnected after the tests.
 */
export function useRedisAdmin(redis: () => TestRedis): () => Redis {
  let admin: Redis | undefined;
  before(() => {
    admin = new Redis(redis().url, { maxRetriesPerRequest: 1 });
    admin.on('error', () => {});
  });
  after(() => admin?.disconnect());
  return () => {
    if (admin === undefined)
      throw new Error('useRedisAdmin(): not connected yet (use it inside tests).');
    return admin;
  };
}
