/**
 * CPU cost of one request through `@hono/node-server`'s listener, in process and without
 * sockets: a stand-in Node request and response go through the real listener, Hono and the
 * route, sequentially, and the process's CPU time is divided by the requests. It leaves out the
 * HTTP parser and the socket writes (the same for every route), so the differences between
 * routes stand out, and being CPU time of one thread it is barely moved by other processes.
 * A tool for profiling and comparing changes on a busy machine; `bench/web.ts` gives the
 * throughput numbers.
 *
 *   npx tsx bench/web-micro.ts [--requests 200000] [--rounds 5] [--only memory] [--dist] [--redis]
 *
 * With `--redis`, the Redis store and the Redis floor too, on a redis-server of its own: their
 * requests wait for the round trip one at a time (no pipelining), and only this process's CPU
 * is counted, so the difference between the two is the cost of authflow's own code on that path.
 */
import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { startDevProvider } from '../src/dev/index.js';
import { CookieJar, signInOverHttp } from '../test/deploy/support/dev-login.js';
import { startRedisServer } from './redis-server.js';
import { median } from './stats.js';
import {
  asyncMemoryFloor,
  type FloorSession,
  memoryFloor,
  mountAuthRoutes,
  redisFloor,
} from './web-routes.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '30' },
    only: { type: 'string' },
    /** Measure the compiled package (dist/, after `npm run build`) instead of src/ through tsx. */
    dist: { type: 'boolean', default: false },
    /** Also the Redis store and the Redis floor, on a redis-server of its own. */
    redis: { type: 'boolean', default: false },
  },
});
const from = values.dist ? '../dist' : '../src';
const { createAuthApp, createRedisClient } = (await import(
  `${from}/deploy/index.js`
)) as typeof import('../src/deploy/index.js');
const { serve } = (await import(`${from}/node/index.js`)) as typeof import('../src/node/index.js');
const { GenericOIDCProvider } = (await import(
  `${from}/providers/index.js`
)) as typeof import('../src/providers/index.js');

// The embedded provider runs in a child process: oidc-provider turns on async_hooks, whose
// promise hooks would add their cost to every request measured here (the bench server runs
// without them too).
if (process.env.MICRO_PROVIDER === '1') {
  const dev = await startDevProvider({ autoConsent: true });
  console.log(
    JSON.stringify({
      issuer: dev.issuer,
      clientId: dev.webClientId,
      clientSecret: dev.webClientSecret,
    }),
  );
  process.once('SIGTERM', () => void dev.close().then(() => process.exit(0)));
  await new Promise(() => {});
}
const providerProcess = spawn(
  process.execPath,
  ['--import', 'tsx', fileURLToPath(import.meta.url)],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, MICRO_PROVIDER: '1' } },
);
const [line] = (await once(
  createInterface({ input: providerProcess.stdout as NodeJS.ReadableStream }),
  'line',
)) as [string];
const dev = JSON.parse(line) as { issuer: string; clientId: string; clientSecret: string };
const app = new Hono();
const running = await serve(app);
const redisServer = values.redis ? await startRedisServer() : undefined;
const stores: Record<string, { cookieName: string; idleTimeout?: number; redis?: string }> = {
  memory: { cookieName: 'mem' },
  idle: { cookieName: 'idl', idleTimeout: 1800 },
  ...(redisServer && { redis: { cookieName: 'rds', redis: redisServer.url } }),
};
const auths = Object.fromEntries(
  Object.entries(stores).map(([store, options]) => [
    store,
    createAuthApp({
      provider: new GenericOIDCProvider({
        issuerUrl: dev.issuer,
        clientId: dev.clientId,
        clientSecret: dev.clientSecret,
      }),
      secret: 'bench-secret-5d1c9e7a3b8f2d6c0a4e9b1f7d3c5a8e',
      baseUrl: running.url,
      basePath: `/auth-${store}`,
      ...options,
    }),
  ]),
);

app.get('/bare', (c) => c.json({ userId: 'bench' }));
const floorSessions = new Map<string, FloorSession>();
app.get('/floor/memory', memoryFloor(floorSessions));
app.get('/floor/memory-async', asyncMemoryFloor(floorSessions));
const floorRedis = redisServer && (await createRedisClient(redisServer.url));
if (floorRedis)
  app.get(
    '/floor/redis',
    redisFloor('authflow:', (key) => floorRedis.get(key)),
  );
for (const [store, auth] of Object.entries(auths)) mountAuthRoutes(app, store, auth);

async function signIn(store: string, cookieName: string): Promise<string> {
  const jar = new CookieJar();
  const login = await fetch(`${running.url}/auth-${store}/login`, { redirect: 'manual' });
  jar.store(login);
  const callback = await signInOverHttp(
    login.headers.get('location') as string,
    `${running.url}/auth-${store}/callback`,
    'bench',
  );
  const done = await fetch(callback, {
    redirect: 'manual',
    headers: { cookie: jar.header() ?? '' },
  });
  jar.store(done);
  await done.body?.cancel();
  return `${cookieName}=${jar.cookies.get(cookieName)}`;
}
const cookies: Record<string, string> = {};
for (const [store, options] of Object.entries(stores)) {
  cookies[store] = await signIn(store, options.cookieName);
}
const memorySession = await auths.memory?.getSession(
  new Request('http://x/', { headers: { cookie: cookies.memory as string } }),
);
if (!memorySession) throw new Error('no memory session');
const memoryCookie = cookies.memory as string;
floorSessions.set(memoryCookie.slice(memoryCookie.indexOf('=') + 1), memorySession);

/** A Node request as the HTTP parser makes it: the headers wrk sends. */
function incoming(path: string, cookie: string | undefined): IncomingMessage {
  const rawHeaders = ['Host', '127.0.0.1:8080'];
  if (cookie !== undefined) rawHeaders.push('Cookie', cookie);
  const request = Object.assign(new EventEmitter(), {
    method: 'GET',
    url: path,
    headers: Object.fromEntries(
      rawHeaders.flatMap((v, i, all) => (i % 2 ? [] : [[v.toLowerCase(), all[i + 1]]])),
    ),
    rawHeaders,
    socket: { encrypted: false },
    complete: true,
    readableEnded: true,
  });
  return request as unknown as IncomingMessage;
}

/** A Node response that checks the status and drops the rest. */
function outgoing(done: (status: number) => void): ServerResponse {
  let status = 0;
  const response = Object.assign(new EventEmitter(), {
    headersSent: false,
    writable: true,
    writableFinished: true,
    _contentLength: null,
    _hasBody: true,
    useChunkedEncodingByDefault: true,
    _removedContLen: false,
    hasHeader: () => false,
    writeHead(code: number) {
      status = code;
      return response;
    },
    end() {
      done(status);
    },
  });
  return response as unknown as ServerResponse;
}

const listener = getRequestListener((request, env) => app.fetch(request, env));
const routes: [name: string, path: string, cookie: string | undefined][] = [
  ['bare Hono route', '/bare', undefined],
  ['floor: memory (cookie + Map)', '/floor/memory', memoryCookie],
  ['floor: memory, async', '/floor/memory-async', memoryCookie],
];
if (redisServer)
  routes.push(['floor: Redis (cookie + GET + parse)', '/floor/redis', cookies.redis]);
for (const store of Object.keys(stores)) {
  routes.push([`${store}, getSession(Request)`, `/${store}/get-session`, cookies[store]]);
  routes.push([`${store}, protect()`, `/${store}/protect`, cookies[store]]);
}
const only = values.only?.split(',');
const kept = routes.filter(([, path], i) => i === 0 || !only || only.some((w) => path.includes(w)));

/** Microseconds of CPU per request over `count` sequential requests. */
async function measure(path: string, cookie: string | undefined, count: number): Promise<number> {
  let failures = 0;
  // Node's parser makes a new request object each time; node-server only reads a GET's.
  const request = incoming(path, cookie);
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) => {
      void listener(
        request,
        outgoing((status) => {
          if (status !== 200) failures++;
          resolve();
        }),
      );
    });
  }
  const used = process.cpuUsage(before);
  if (failures > 0) throw new Error(`${path}: ${failures} answers were not 200`);
  return (used.user + used.system) / count;
}

const count = Number(values.requests);
for (const [, path, cookie] of kept) await measure(path, cookie, Math.min(count, 20_000));
const samples = kept.map(() => [] as number[]);
for (let round = 0; round < Number(values.rounds); round++) {
  const order = kept.map((_, i) => i);
  if (round % 2) order.reverse();
  for (const i of order) {
    const [, path, cookie] = kept[i] as (typeof kept)[number];
    samples[i]?.push(await measure(path, cookie, count));
  }
}
// Other processes only ever add to a sample (cache misses, a slower clock), so the least of
// many short samples is the steadiest estimate of what a request costs; the median beside it.
console.log(
  `CPU µs per request through @hono/node-server's listener (no sockets), ${values.rounds} interleaved samples of ${count} requests (${values.dist ? 'dist/' : 'src/ via tsx'}):`,
);
const least = (i: number) => Math.min(...(samples[i] as number[]));
kept.forEach(([name], i) => {
  const us = least(i);
  const mid = median(samples[i] as number[]);
  console.log(
    `  ${name.padEnd(34)}least ${us.toFixed(2).padStart(6)} µs (+${(us - least(0)).toFixed(2)} over bare)` +
      `   median ${mid.toFixed(2).padStart(6)} µs (+${(mid - median(samples[0] as number[])).toFixed(2)})`,
  );
});
await running.close();
await Promise.all(Object.values(auths).map((auth) => auth.close()));
floorRedis?.disconnect();
redisServer?.child.kill('SIGTERM');
providerProcess.kill('SIGTERM');
