/**
 * The server that `bench/web.ts` measures, run in a process of its own (pinned to one core by
 * the bench). One Hono app on `@hono/node-server` with:
 *  - `/bare`: the baseline, a bare route answering `c.json(...)`;
 *  - `/floor/memory`: the floor of any in-memory session: read the Cookie header, look its value
 *    up in a `Map`;
 *  - `/floor/redis`: the floor of any Redis session: read the Cookie header, one `GET` of the
 *    session's JSON (the very key authflow wrote) over loopback, `JSON.parse`;
 *  - `/<store>/get-session` and `/<store>/protect`: authflow's `getSession(Request)` and
 *    `protect()` with each store (memory, Redis, Redis with the local session cache).
 * Every route answers 200 `{"userId":…}` to a signed-in request and 401 otherwise, so that
 * `wrk`'s non-2xx count catches a route that stopped seeing the session.
 *
 * Configuration comes as JSON in the BENCH_CONFIG environment variable; the server prints
 * `{"url":…}` on its first stdout line and exits on SIGTERM.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { createAuthApp } from '../src/deploy/index.js';
import { createRedisClient } from '../src/deploy/redis-client.js';
import { serve } from '../src/node/index.js';
import { GenericOIDCProvider } from '../src/providers/index.js';
import { type ServerConfig, STORES, type StoreName } from './web-config.js';

const config = JSON.parse(process.env.BENCH_CONFIG ?? '') as ServerConfig;
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

const unauthorized = (c: Context) => c.json({ error: 'not_authenticated' }, 401);

app.get('/bare', (c) => c.json({ userId: 'bench' }));

// The floors read the session the bench signed in with: the same Cookie header as authflow's
// routes get, the same session object (memory) or the same JSON string (Redis).
const floorSessions = new Map<string, { userId: string }>();
app.get('/floor/memory', (c) => {
  const header = c.req.header('cookie');
  const session =
    header === undefined ? undefined : floorSessions.get(header.slice(header.indexOf('=') + 1));
  return session === undefined ? unauthorized(c) : c.json({ userId: session.userId });
});
app.post('/floor/memory', async (c) => {
  // Setup, before the measurement: remember the memory store's session under its cookie value.
  const session = await auths.memory.getSession(c.req.raw);
  const header = c.req.header('cookie') ?? '';
  if (session === null) return unauthorized(c);
  floorSessions.set(header.slice(header.indexOf('=') + 1), session);
  return c.json({ userId: session.userId });
});

const floorRedis = await createRedisClient(config.redisUrl);
app.get('/floor/redis', async (c) => {
  const header = c.req.header('cookie');
  if (header === undefined) return unauthorized(c);
  const id = header.slice(header.indexOf('=') + 1, header.indexOf('.'));
  const text = await floorRedis.get(`${STORES.redis.keyPrefix}session:${id}`);
  const session = text === null ? null : (JSON.parse(text) as { userId: string });
  return session === null ? unauthorized(c) : c.json({ userId: session.userId });
});

for (const [store, auth] of Object.entries(auths)) {
  app.get(`/${store}/get-session`, async (c) => {
    const session = await auth.getSession(c.req.raw);
    return session === null ? unauthorized(c) : c.json({ userId: session.userId });
  });
  app.get(
    `/${store}/protect`,
    auth.protect((c, session) => c.json({ userId: session.userId })),
  );
  app.all(`/auth-${store}/*`, (c) => auth.fetch(c.req.raw, c.env));
}

console.log(JSON.stringify({ url: running.url }));

process.once('SIGTERM', async () => {
  await running.close();
  floorRedis.disconnect();
  await Promise.all(Object.values(auths).map((auth) => auth.close()));
  process.exit(0);
});
