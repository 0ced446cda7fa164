/**
 * Deploy-mode throughput, measured in one run on this machine:
 *  - requests/s of a protected route that reads the session (memory store, Redis store) against
 *    the same route with no auth on the same Hono server (the baseline), as ratios
 *    (goals: memory ≥ 0.85, Redis ≥ 0.5);
 *  - complete logins per second through the callback against the embedded provider.
 * The server runs in a child process so that the load generator (autocannon, here) does not
 * share its event loop; Redis is a real redis-server on a random loopback port.
 *
 *   npm run bench:web [-- --duration 2 --rounds 6 --connections 50 --cpu-prof-dir /tmp/prof]
 *
 * `--cpu-prof-dir` writes a V8 CPU profile of the server process there (open it in Chrome
 * DevTools or summarise it with `node bench/profile-summary.mjs <file>`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Hono } from 'hono';
import { createAuthApp } from '../src/deploy/index.js';
import { startDevProvider } from '../src/dev/index.js';
import { serve } from '../src/node/index.js';
import { GenericOIDCProvider } from '../src/providers/index.js';
import { CookieJar, signInOverHttp } from '../test/deploy/support/dev-login.js';
import { startRedis } from '../test/helpers/redis.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    serve: { type: 'string' },
    duration: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '6' },
    'login-seconds': { type: 'string', default: '5' },
    'login-concurrency': { type: 'string', default: '8' },
    'cpu-prof-dir': { type: 'string' },
  },
});

const SECRET = 'bench-secret-5d1c9e7a3b8f2d6c0a4e9b1f7d3c5a8e';

/** Child mode: the dev provider and one Hono server with the three routes; prints its URL. */
async function runServer(redisUrl: string): Promise<void> {
  const dev = await startDevProvider({ autoConsent: true });
  const provider = () =>
    new GenericOIDCProvider({
      issuerUrl: dev.issuer,
      clientId: dev.webClientId,
      clientSecret: dev.webClientSecret,
    });
  let baseUrl = '';
  const app = new Hono();
  const running = await serve({ fetch: (request, env) => app.fetch(request, env) });
  baseUrl = running.url;
  const common = { secret: SECRET, baseUrl, loginRateLimit: { max: 1_000_000, windowSeconds: 60 } };
  const memory = createAuthApp({
    ...common,
    provider: provider(),
    basePath: '/auth-mem',
    cookieName: 'mem',
  });
  const redis = createAuthApp({
    ...common,
    provider: provider(),
    basePath: '/auth-redis',
    cookieName: 'red',
    redis: redisUrl,
  });
  app.get('/baseline', (c) => c.text('ok'));
  // The same route behind a middleware that does nothing: what any async middleware costs on
  // Hono + @hono/node-server (the baseline's synchronous handler takes a faster path).
  app.get(
    '/noop',
    async (_c, next) => {
      await next();
    },
    (c) => c.text('ok'),
  );
  // Protected routes as an app writes them: the handler runs only for a signed-in user.
  app.get(
    '/memory',
    memory.protect((c) => c.text('ok')),
  );
  app.get(
    '/redis',
    redis.protect((c) => c.text('ok')),
  );
  app.all('/auth-mem/*', (c) => memory.fetch(c.req.raw, c.env));
  app.all('/auth-redis/*', (c) => redis.fetch(c.req.raw, c.env));
  console.log(JSON.stringify({ url: baseUrl, issuer: dev.issuer }));
  process.once('SIGTERM', async () => {
    await running.close();
    await Promise.all([memory.close(), redis.close(), dev.close()]);
    process.exit(0);
  });
}

interface AutocannonResult {
  requests: { average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

async function measure(url: string, cookie: string | undefined, duration: number): Promise<number> {
  const result = await autocannon({
    url,
    connections: Number(values.connections),
    duration,
    headers: cookie ? { cookie, accept: 'application/json' } : { accept: 'application/json' },
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return result.requests.average;
}

/** Signs in over HTTP (login, provider forms, callback) and returns the session cookie. */
async function signIn(url: string, basePath: string, user: string): Promise<string> {
  const jar = new CookieJar();
  const login = await fetch(`${url}${basePath}/login`, { redirect: 'manual' });
  jar.store(login);
  const callback = await signInOverHttp(
    login.headers.get('location') as string,
    `${url}${basePath}/callback`,
    user,
  );
  const done = await fetch(callback, {
    redirect: 'manual',
    headers: { cookie: jar.header() ?? '' },
  });
  jar.store(done);
  if (done.status !== 302) throw new Error(`callback answered ${done.status}`);
  return jar.header() ?? '';
}

async function loginsPerSecond(
  url: string,
  basePath: string,
  seconds: number,
  concurrency: number,
): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      while (Date.now() < deadline) {
        await signIn(url, basePath, `user${i}`);
        done++;
      }
    }),
  );
  return done / ((Date.now() - started) / 1000);
}

async function main(): Promise<void> {
  const redis = await startRedis();
  let child: ChildProcess | undefined;
  try {
    const profile = values['cpu-prof-dir'];
    child = spawn(
      process.execPath,
      [
        ...(profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profile]),
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--serve',
        redis.url,
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [line] = (await once(
      createInterface({ input: child.stdout as NodeJS.ReadableStream }),
      'line',
    )) as [string];
    const { url } = JSON.parse(line) as { url: string };
    const memoryCookie = await signIn(url, '/auth-mem', 'bench');
    const redisCookie = await signIn(url, '/auth-redis', 'bench');
    const duration = Number(values.duration);
    console.log(
      `Server ${url}; ${values.connections} connections, ${values.rounds} rounds of ${duration} s per route (medians below), Node ${process.version}`,
    );
    const routes = [
      ['baseline', undefined],
      ['noop', undefined],
      ['memory', memoryCookie],
      ['redis', redisCookie],
    ] as const;
    // Warm-up: JIT, keep-alive connections, the Redis connection.
    for (const [path, cookie] of routes) await measure(`${url}/${path}`, cookie, 1);
    // Many short interleaved rounds, so that a change in the machine's load hits every route
    // alike; every other round runs in reverse order, so that no route always comes first or
    // last; and the median per route, so that one disturbed round does not decide the result.
    const samples = {
      baseline: [] as number[],
      noop: [] as number[],
      memory: [] as number[],
      redis: [] as number[],
    };
    const rounds = Number(values.rounds);
    for (let round = 0; round < rounds; round++) {
      const rates: string[] = [];
      for (const [path, cookie] of round % 2 === 0 ? routes : [...routes].reverse()) {
        const rate = await measure(`${url}/${path}`, cookie, duration);
        samples[path].push(rate);
        rates.push(`${path} ${rate.toFixed(0)}`);
      }
      console.log(`  round ${round + 1}: ${rates.join(', ')} req/s`);
    }
    const baseline = median(samples.baseline);
    const noop = median(samples.noop);
    const memory = median(samples.memory);
    const redisRate = median(samples.redis);
    const logins = await loginsPerSecond(
      url,
      '/auth-mem',
      Number(values['login-seconds']),
      Number(values['login-concurrency']),
    );
    const row = (name: string, rate: number, goal?: number) =>
      `${name.padEnd(34)}${rate.toFixed(0).padStart(8)} req/s${goal === undefined ? '' : `   ratio ${(rate / baseline).toFixed(2)} (goal ≥ ${goal})`}`;
    console.log(row('baseline (no auth, same server)', baseline));
    console.log(
      `${row('  same, behind a no-op middleware', noop)}   ratio ${(noop / baseline).toFixed(2)} (for reference)`,
    );
    console.log(row('protected route, memory store', memory, 0.85));
    console.log(row('protected route, Redis store', redisRate, 0.5));
    console.log(
      `${'complete logins (memory store)'.padEnd(34)}${logins.toFixed(1).padStart(8)} logins/s (login → provider → callback)`,
    );
  } finally {
    if (child && child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    await redis.stop();
  }
}

if (values.serve !== undefined) await runServer(values.serve);
else await main();
