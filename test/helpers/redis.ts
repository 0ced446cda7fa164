// A real redis-server for tests: started on a random free port on 127.0.0.1, without
// persistence, and always stopped (also when the test process exits early).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';

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

/** Where redis-cli is installed (it comes with redis-server). */
export const REDIS_CLI_PATH = process.env.REDIS_CLI ?? '/usr/bin/redis-cli';

/** The arguments every test redis-server gets: loopback only, nothing persisted, quiet. */
export const REDIS_TEST_ARGS: readonly string[] = [
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--loglevel',
  'warning',
];

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const run = promisify(execFile);

/**
 * One redis-server process on 127.0.0.1:`port` (a plain node, a cluster node or a sentinel),
 * started with `args`. Whatever happens, it is SIGKILLed when the test process exits.
 */
export class RedisProcess {
  #child: ChildProcess | undefined;

  constructor(
    /** Its port on 127.0.0.1 (also given in `args` or in its config file). */
    readonly port: number,
    readonly args: readonly string[],
  ) {}

  /** Spawns the process (again, after {@link kill}). */
  start(): void {
    const child = spawn(REDIS_SERVER_PATH, [...this.args], { stdio: 'ignore' });
    running.add(child);
    child.once('exit', () => running.delete(child));
    this.#child = child;
  }

  /** Whether the process is running. */
  get alive(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Waits until it answers `PING` (at most 10 s); fails at once if the process exits. */
  async waitReady(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`redis-server on port ${this.port} exited`);
      if (await ping(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('redis-server did not answer within 10 s');
  }

  /** SIGKILL, like a crash; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.alive) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Freezes the process (SIGSTOP): connections stay open but nothing answers. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** Unfreezes it (SIGCONT). */
  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Runs a redis-cli command against it (5 s at most); resolves its stdout. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run(
      REDIS_CLI_PATH,
      ['-h', '127.0.0.1', '-p', String(this.port), ...args],
      { timeout: 5000 },
    );
    return stdout;
  }
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

/** Starts a redis-server on a free port. The caller stops it (see {@link useRedis}). */
export async function startRedis(): Promise<TestRedis> {
  let server: RedisProcess | undefined;
  for (let attempt = 0; attempt < 5 && server === undefined; attempt++) {
    const port = await freePort();
    const candidate = new RedisProcess(port, ['--port', String(port), ...REDIS_TEST_ARGS]);
    candidate.start();
    try {
      await candidate.waitReady();
      server = candidate;
    } catch (error) {
      await candidate.kill();
      if (attempt === 4) throw error;
    }
  }
  const redis = server as RedisProcess;
  let stopped = false;
  return {
    port: redis.port,
    url: `redis://127.0.0.1:${redis.port}`,
    kill: () => redis.kill(),
    async restart() {
      if (stopped) throw new Error('This Redis was stopped for good.');
      await redis.kill();
      redis.start();
      await redis.waitReady();
    },
    pause: () => redis.pause(),
    resume: () => redis.resume(),
    async stop() {
      stopped = true;
      await redis.kill();
    },
  };
}

/**
 * node:test fixture: runs `start` before the tests of the enclosing describe/file and stops
 * what it started after them, even when they fail. The returned function gives it inside
 * tests; `what` names it in the error thrown when it is asked for outside them.
 */
export function useStarted<T extends { stop(): Promise<void> }>(
  what: string,
  start: () => Promise<T>,
): () => T {
  let started: T | undefined;
  before(async () => {
    started = await start();
  });
  after(async () => {
    await started?.stop();
  });
  return () => {
    if (started === undefined) throw new Error(`${what} is not started yet (use it inside tests).`);
    return started;
  };
}

/**
 * node:test fixture: starts Redis before the tests of the enclosing describe/file and stops it
 * after them, even when they fail. The returned function gives the Redis inside tests.
 */
export function useRedis(): () => TestRedis {
  return useStarted('useRedis(): Redis', startRedis);
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
