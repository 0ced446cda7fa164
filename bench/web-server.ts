/**
 * The server that `bench/web.ts` measures, run in a process of its own (pinned to one core by
 * the bench). One Hono app on `@hono/node-server` with:
 *  - `/bare`: the baseline, a bare route answering `c.json(...)`;
 *  - `/floor/memory`: the floor of any in-memory session: read the Cookie header, look its value
 *    up in a `Map`;
 *  - `/floor/memory-async`: the same behind a Promise in an async handler (the floor of any
 *    session API answering with a Promise, as `getSession(Request)` does);
 *  - `/floor/redis`: the floor of any Redis session: read the Cookie header, one `GET` of the
 *    session's JSON (the very key authflow wrote) over loopback, `JSON.parse`;
 *  - `/<store>/get-session` and `/<store>/protect`: authflow's `getSession(Request)` and
 *    `protect()` with each store (memory, Redis, Redis with the local session cache);
 *  - with `floorVariants`, the Redis floor made other ways, to show that `/floor/redis` is the
 *    cheapest: `/floor/redis-plain` (ioredis without auto-pipelining), `/floor/redis-pool`
 *    (four such connections, round robin) and `/floor/redis-raw` (a minimal RESP client on one
 *    socket: the least any client library could do).
 * authflow comes from dist/ (the compiled package, as an app runs it) unless `from` is `src`.
 * Every route answers 200 `{"userId":…}` to a signed-in request and 401 otherwise, so that
 * `wrk`'s non-2xx count catches a route that stopped seeing the session.
 *
 * Configuration comes as JSON in the BENCH_CONFIG environment variable; the server prints
 * `{"url":…}` on its first stdout line and exits on SIGTERM.
 */
import { connect } from 'node:net';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { type ServerConfig, STORES, type StoreName } from './web-config.js';
import {
  asyncMemoryFloor,
  type FloorSession,
  memoryFloor,
  mountAuthRoutes,
  redisFloor,
  unauthorized,
} from './web-routes.js';

const config = JSON.parse(process.env.BENCH_CONFIG ?? '') as ServerConfig;
// A computed specifier: the types come from src/, the code from where the config says.
const root = `../${config.from}`;
const { createAuthApp, createRedisClient } = (await import(
  `${root}/deploy/index.js`
)) as typeof import('../src/deploy/index.js');
const { serve } = (await import(`${root}/node/index.js`)) as typeof import('../src/node/index.js');
const { GenericOIDCProvider } = (await import(
  `${root}/providers/index.js`
)) as typeof import('../src/providers/index.js');
const app = new Hono();
const running = await serve(app);

const auths = {
  memory: createAuthApp(common('memory')),
  redis: createAuthApp({ ...common('redis'), redis: config.redisUrl }),
  cached: createAuthApp({ ...common('cached'), redis: config.redisUrl, sessionCache: true }),
  idle: createAuthApp(common('idle')),
};

function common(store: StoreName) {
  return {
    provider: new GenericOIDCProvider({
      issuerUrl: config.issuer,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
    }),
    secret: config.secret,
    baseUrl: running.url,
    basePath: `/auth-${store}`,
    loginRateLimit: { max: 1_000_000, windowSeconds: 60 },
    ...STORES[store],
  };
}

app.get('/bare', (c) => c.json({ userId: 'bench' }));

// The floors read the session the bench signed in with: the same Cookie header as authflow's
// routes get, the same session object (memory) or the same JSON string (Redis).
const floorSessions = new Map<string, FloorSession>();
app.get('/floor/memory', memoryFloor(floorSessions));
app.get('/floor/memory-async', asyncMemoryFloor(floorSessions));
app.post('/floor/memory', async (c) => {
  // Setup, before the measurement: remember the memory store's session under its cookie value.
  const session = await auths.memory.getSession(c.req.raw);
  const header = c.req.header('cookie') ?? '';
  if (session === null) return unauthorized(c);
  floorSessions.set(header.slice(header.indexOf('=') + 1), session);
  return c.json({ userId: session.userId });
});

// ioredis with auto-pipelining (authflow's own client options): the cheapest of the variants.
const floorRedis = await createRedisClient(config.redisUrl);
app.get(
  '/floor/redis',
  redisFloor(STORES.redis.keyPrefix, (key) => floorRedis.get(key)),
);
const variants: { disconnect(): void }[] = [];
if (config.floorVariants) {
  const plain = new Redis(config.redisUrl);
  const pool = Array.from({ length: 4 }, () => new Redis(config.redisUrl));
  variants.push(plain, ...pool);
  let next = 0;
  app.get(
    '/floor/redis-plain',
    redisFloor(STORES.redis.keyPrefix, (key) => plain.get(key)),
  );
  app.get(
    '/floor/redis-pool',
    redisFloor(STORES.redis.keyPrefix, (key) => {
      next = (next + 1) % pool.length;
      return (pool[next] as Redis).get(key);
    }),
  );
  const raw = rawRespGet(config.redisUrl);
  variants.push(raw);
  app.get('/floor/redis-raw', redisFloor(STORES.redis.keyPrefix, raw.get));
}

/**
 * `GET` over a socket of its own with nothing but RESP: commands written as they come (Node
 * sends them in one packet when several are written in one turn), bulk replies parsed in order.
 */
function rawRespGet(redisUrl: string): {
  get(key: string): Promise<string | null>;
  disconnect(): void;
} {
  const url = new URL(redisUrl);
  const socket = connect(Number(url.port), url.hostname);
  socket.setNoDelay(true);
  const waiting: ((text: string | null) => void)[] = [];
  let buffer: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      const crlf = buffer.indexOf('\r\n');
      if (crlf < 0) break;
      const length = Number(buffer.toString('latin1', 1, crlf));
      if (length < 0) {
        buffer = buffer.subarray(crlf + 2);
        waiting.shift()?.(null);
        continue;
      }
      if (buffer.length < crlf + 4 + length) break;
      const text = buffer.toString('utf8', crlf + 2, crlf + 2 + length);
      buffer = buffer.subarray(crlf + 4 + length);
      waiting.shift()?.(text);
    }
  });
  return {
    get: (key) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        socket.write(`*2\r\n$3\r\nGET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`);
      }),
    disconnect: () => socket.destroy(),
  };
}

for (const [store, auth] of Object.entries(auths)) mountAuthRoutes(app, store, auth);

console.log(JSON.stringify({ url: running.url }));

process.once('SIGTERM', async () => {
  await running.close();
  floorRedis.disconnect();
  for (const variant of variants) variant.disconnect();
  await Promise.all(Object.values(auths).map((auth) => auth.close()));
  process.exit(0);
});
