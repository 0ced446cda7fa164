// The session cache (option sessionCache) on real workers: separate processes, each with its
// own Redis connections and cache, over one real redis-server. What it must never do: serve a
// session that ended, trust itself while the invalidation channel is down, or grow unbounded.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { useDevProvider } from '../helpers/dev-provider.js';
import { useRedis, useRedisAdmin } from '../helpers/redis.js';
import { CookieJar, signInOverHttp } from './support/dev-login.js';
import type { ReportedError, WorkerConfig } from './support/worker.js';

/** The bound the invalidation must meet: a logout on one worker is refused by the others. */
const INVALIDATION_BOUND_MS = 50;

interface Worker {
  url: string;
  child: ChildProcess;
}

describe('session cache on two real workers over one redis-server', () => {
  const dev = useDevProvider({ autoConsent: true });
  const redis = useRedis();
  const workers: Worker[] = [];
  const admin = useRedisAdmin(redis);

  after(async () => {
    await Promise.all(
      workers.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  });

  async function startWorker(sessionCache: WorkerConfig['sessionCache']): Promise<Worker> {
    const config: WorkerConfig = {
      redisUrl: redis().url,
      issuer: dev().issuer,
      clientId: dev().webClientId,
      clientSecret: dev().webClientSecret,
      sessionCache,
    };
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./support/worker.ts', import.meta.url))],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, WORKER_CONFIG: JSON.stringify(config) },
      },
    );
    const worker = { url: '', child };
    workers.push(worker);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const [line] = (await Promise.race([
      once(lines, 'line'),
      once(child, 'exit').then(() => {
        throw new Error('worker exited before it listened');
      }),
    ])) as [string];
    worker.url = (JSON.parse(line) as { url: string }).url;
    return worker;
  }

  /** Signs in at `worker` over HTTP; returns the session Cookie header. */
  async function signIn(worker: Worker, user: string): Promise<string> {
    const jar = new CookieJar();
    const login = await fetch(`${worker.url}/auth/login`, { redirect: 'manual' });
    jar.store(login);
    const callback = await signInOverHttp(
      login.headers.get('location') as string,
      `${worker.url}/auth/callback`,
      user,
    );
    const done = await fetch(callback, {
      redirect: 'manual',
      headers: { cookie: jar.header() ?? '' },
    });
    jar.store(done);
    assert.equal(done.status, 302, 'signed in');
    const session = jar.cookies.get('authflow_session');
    assert.ok(session, 'session cookie set');
    return `authflow_session=${session}`;
  }

  async function status(worker: Worker, cookie: string): Promise<number> {
    const response = await fetch(`${worker.url}/private`, { headers: { cookie } });
    await response.body?.cancel();
    return response.status;
  }

  /** Redis GETs (session reads) that `fn` caused. */
  async function redisReads(fn: () => Promise<void>): Promise<number> {
    await admin().config('RESETSTAT');
    await fn();
    const stats = await admin().info('commandstats');
    return Number(/^cmdstat_get:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
  }

  /** Three reads of `cookie`'s session on `worker` answer 200 and each reads Redis. */
  async function expectReadsFromRedis(worker: Worker, cookie: string): Promise<void> {
    const reads = await redisReads(async () => {
      for (let i = 0; i < 3; i++) assert.equal(await status(worker, cookie), 200);
    });
    assert.equal(reads, 3, 'every read goes to Redis while the channel is down');
  }

  async function reports(worker: Worker): Promise<ReportedError[]> {
    const response = await fetch(`${worker.url}/errors`);
    return (await response.json()) as ReportedError[];
  }

  function sessionKey(cookie: string): string {
    const id = cookie.slice(cookie.indexOf('=') + 1, cookie.indexOf('.'));
    return `authflow:session:${id}`;
  }

  let a: Worker;
  let b: Worker;
  before(async () => {
    [a, b] = await Promise.all([startWorker(true), startWorker(true)]);
  });

  async function waitUntilCaching(worker: Worker, cookie: string, attempts = 200): Promise<void> {
    // The subscription is made in the background at start and after a drop: wait for it.
    for (let i = 0; i < attempts; i++) {
      assert.equal(await status(worker, cookie), 200);
      const reads = await redisReads(async () => {
        assert.equal(await status(worker, cookie), 200);
      });
      if (reads === 0) return;
      await sleep(25);
    }
    assert.fail('the worker never served the session from its cache');
  }

  it('serves a hot session from memory, and a logout on A is refused by B within the bound', async () => {
    const cookie = await signIn(a, 'alice');
    await waitUntilCaching(b, cookie);
    await waitUntilCaching(a, cookie);
    const reads = await redisReads(async () => {
      for (let i = 0; i < 10; i++) assert.equal(await status(b, cookie), 200);
    });
    assert.equal(reads, 0, 'no Redis read for a cached session');

    const logout = await fetch(`${a.url}/auth/logout`, {
      method: 'POST',
      headers: { cookie, origin: a.url },
    });
    assert.equal(logout.status, 200);
    await sleep(INVALIDATION_BOUND_MS);
    assert.equal(await status(b, cookie), 401, 'B refuses the ended session');
    assert.equal(await status(a, cookie), 401, 'A refuses it too');
  });

  it('a session replaced by a new login on A is refused by B', async () => {
    const jar = new CookieJar();
    const cookie = await signIn(a, 'bob');
    await waitUntilCaching(b, cookie);
    // A second login from the same browser ends the first session (no session fixation).
    const login = await fetch(`${a.url}/auth/login`, { redirect: 'manual', headers: { cookie } });
    jar.store(login);
    const callback = await signInOverHttp(
      login.headers.get('location') as string,
      `${a.url}/auth/callback`,
      'bob',
    );
    const done = await fetch(callback, {
      redirect: 'manual',
      headers: { cookie: `${cookie}; ${jar.header()}` },
    });
    assert.equal(done.status, 302);
    await sleep(INVALIDATION_BOUND_MS);
    assert.equal(await status(b, cookie), 401);
  });

  it('stops trusting the cache at once when the invalidation channel drops, until it is back', async () => {
    const ended = await signIn(a, 'carol');
    const live = await signIn(a, 'carol');
    await waitUntilCaching(b, ended);
    await waitUntilCaching(b, live);
    // Take away the right to use pub/sub channels: Redis disconnects every subscriber, and
    // resubscribing fails until the right is given back. The channel stays down meanwhile.
    await admin().call('ACL', 'SETUSER', 'default', 'resetchannels');
    try {
      // End a session behind the workers' backs (no message can travel now): a worker that
      // kept trusting its cache would still accept it.
      await admin().del(sessionKey(ended));
      await sleep(INVALIDATION_BOUND_MS);
      assert.equal(await status(b, ended), 401, 'B read Redis instead of its cache');
      await sleep(300);
      await expectReadsFromRedis(b, live);
    } finally {
      await admin().call('ACL', 'SETUSER', 'default', 'allchannels');
    }
    await waitUntilCaching(b, live);
  });

  it('backs off while SUBSCRIBE is refused (no reconnect loop), tells onError once, and recovers', async () => {
    const cookie = await signIn(a, 'heidi');
    await waitUntilCaching(b, cookie);
    const reportsBefore = await Promise.all([a, b].map(reports));
    const connections = async () =>
      Number(/^total_connections_received:(\d+)/m.exec(await admin().info('stats'))?.[1]);
    // The admin connection is already open: every connection counted below is a worker's.
    const start = await connections();
    await admin().call('ACL', 'SETUSER', 'default', 'resetchannels');
    try {
      await admin().call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await sleep(3000);
      const made = (await connections()) - start;
      // Per worker: a new connection at once, then after 1 s and 2 s of backoff (3), plus one
      // for the window's edge. Without the backoff each worker made about 28 in 3 s.
      assert.ok(
        made <= 2 * 4,
        `${made} connections in 3 s from two workers whose SUBSCRIBE is refused`,
      );
      assert.ok(made >= 2, 'each worker tried again at least once');
      await expectReadsFromRedis(b, cookie);
    } finally {
      await admin().call('ACL', 'SETUSER', 'default', 'allchannels');
    }
    // Back within the current backoff delay (4 s here; never more than 30 s).
    await waitUntilCaching(b, cookie, 2000);
    assert.equal(
      await redisReads(async () => {
        for (let i = 0; i < 3; i++) assert.equal(await status(b, cookie), 200);
      }),
      0,
      'served from the cache again',
    );
    for (const [i, worker] of [a, b].entries()) {
      const added = (await reports(worker)).slice(reportsBefore[i]?.length);
      assert.equal(added.length, 1, 'one report for the whole run of refused subscriptions');
      const [report] = added as [ReportedError];
      assert.equal(report.route, 'session-cache');
      assert.equal(report.code, 'store_error');
      assert.match(
        report.message,
        /^The session cache cannot subscribe to authflow:session-invalidate on 127\.0\.0\.1:\d+ \(is SUBSCRIBE allowed for this user\?\): every request reads Redis until it can\.$/,
      );
      assert.match(report.cause ?? '', /^NOPERM/);
    }
  });

  it('never answers from the cache while Redis is down, nor after a restart lost the session', async () => {
    const cookie = await signIn(a, 'dave');
    await waitUntilCaching(b, cookie);
    await redis().kill();
    try {
      await sleep(INVALIDATION_BOUND_MS);
      assert.equal(await status(b, cookie), 503, 'store unavailable, not a cached 200');
    } finally {
      await redis().restart();
    }
    // The restarted Redis is empty: the session is gone, whatever B had cached.
    for (let i = 0; i < 100; i++) {
      const code = await status(b, cookie);
      if (code !== 503) {
        assert.equal(code, 401);
        break;
      }
      await sleep(50);
    }
    assert.equal(await status(b, cookie), 401);
  });

  it('is bounded in entries and in memory, oldest out first', async () => {
    const cookies = [
      await signIn(a, 'erin'),
      await signIn(a, 'frank'),
      await signIn(a, 'grace'),
    ] as const;
    // The cache estimates an entry at twice its JSON length plus 256 bytes: room for one and a
    // half of these sessions.
    const json = Math.max(
      ...(await Promise.all(cookies.map((c) => admin().strlen(sessionKey(c))))),
    );
    const [byCount, byBytes] = await Promise.all([
      startWorker({ maxEntries: 2 }),
      startWorker({ maxBytes: Math.floor(1.5 * (json * 2 + 256)) }),
    ]);
    await waitUntilCaching(byCount, cookies[0]);
    await waitUntilCaching(byCount, cookies[1]);
    await waitUntilCaching(byCount, cookies[2]);
    assert.equal(
      await redisReads(async () => {
        assert.equal(await status(byCount, cookies[2]), 200);
        assert.equal(await status(byCount, cookies[1]), 200);
      }),
      0,
      'the two newest are cached',
    );
    assert.equal(
      await redisReads(async () => {
        assert.equal(await status(byCount, cookies[0]), 200);
      }),
      1,
      'the oldest was evicted (maxEntries 2)',
    );

    await waitUntilCaching(byBytes, cookies[0]);
    await waitUntilCaching(byBytes, cookies[1]);
    assert.equal(
      await redisReads(async () => {
        assert.equal(await status(byBytes, cookies[1]), 200);
      }),
      0,
      'the newest is cached',
    );
    assert.equal(
      await redisReads(async () => {
        assert.equal(await status(byBytes, cookies[0]), 200);
      }),
      1,
      'the older one was evicted (maxBytes)',
    );
  });
});

describe('sessionCache option', () => {
  const dev = useDevProvider();
  it('is refused without Redis or with an app store, naming the option', async () => {
    const { makeApp } = await import('./support/fixtures.js');
    const { MemorySessionStore } = await import('../../src/deploy/index.js');
    assert.throws(
      () => makeApp(dev(), { sessionCache: true }),
      /Option `sessionCache` needs `redis`/,
    );
    assert.throws(
      () =>
        makeApp(dev(), {
          sessionCache: true,
          redis: 'redis://127.0.0.1:1',
          sessionStore: new MemorySessionStore(),
        }),
      /Option `sessionCache` needs `redis`/,
    );
    assert.throws(
      () => makeApp(dev(), { sessionCache: { maxEntries: 0 }, redis: 'redis://127.0.0.1:1' }),
      /sessionCache\.maxEntries/,
    );
  });
});
