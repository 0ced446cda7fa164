/**
 * What `idleTimeout` costs on the protected route, measured in one run on this machine: the
 * same protected route with and without an idle timeout (memory and Redis stores), against
 * the route without auth (the baseline). The server runs in a child process pinned to CPU 0,
 * autocannon in this process pinned to CPU 1 (when `taskset` exists); Redis is a real
 * redis-server on a random loopback port.
 *
 *   npm run bench:idle [-- --duration 2 --rounds 6 --connections 50]
 *
 * The idle timeout (30 min, a touch a minute) must not show: the ratio idle / plain should
 * stay near 1 (goal ≥ 0.95). The run is refused as invalid when any request fails or the
 * baseline varies by more than half between rounds.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
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
  },
});

const SECRET = 'bench-secret-5d1c9e7a3b8f2d6c0a4e9b1f7d3c5a8e';
const VARIANTS = ['mem', 'mem-idle', 'red', 'red-idle'] as const;

/** Child mode: the dev provider and one Hono server with the protected routes; prints its URL. */
async function runServer(redisUrl: string): Promise<void> {
  const dev = await startDevProvider({ autoConsent: true });
  const app = new Hono();
  const running = await serve({ fetch: (request, env) => app.fetch(request, env) });
  app.get('/baseline', (c) => c.text('ok'));
  const apps = VARIANTS.map((name) =>
    createAuthApp({
      provider: new GenericOIDCProvider({
        issuerUrl: dev.issuer,
        clientId: dev.webClientId,
        clientSecret: dev.webClientSecret,
      }),
      secret: SECRET,
      baseUrl: running.url,
      basePath: `/auth-${name}`,
      cookieName: name.replace('-', '_'),
      loginRateLimit: { max: 1_000_000, windowSeconds: 60 },
      ...(name.startsWith('red') ? { redis: redisUrl, keyPrefix: `${name}:` } : {}),
      ...(name.endsWith('idle') ? { idleTimeout: 1800 } : {}),
    }),
  );
  VARIANTS.forEach((name, i) => {
    const auth = apps[i];
    if (auth === undefined) return;
    app.get(
      `/${name}`,
      auth.protect((c) => c.text('ok')),
    );
    app.all(`/auth-${name}/*`, (c) => auth.fetch(c.req.raw, c.env));
  });
  console.log(JSON.stringify({ url: running.url }));
  process.once('SIGTERM', async () => {
    await running.close();
    await Promise.all([...apps.map((a) => a.close()), dev.close()]);
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
    throw new Error(
      `Invalid run: ${url} had ${result.non2xx} non-2xx answers, ${result.errors} errors`,
    );
  }
  return result.requests.average;
}

async function signIn(url: string, basePath: string): Promise<string> {
  const jar = new CookieJar();
  const login = await fetch(`${url}${basePath}/login`, { redirect: 'manual' });
  jar.store(login);
  const callback = await signInOverHttp(
    login.headers.get('location') as string,
    `${url}${basePath}/callback`,
    'bench',
  );
  const done = await fetch(callback, {
    redirect: 'manual',
    headers: { cookie: jar.header() ?? '' },
  });
  jar.store(done);
  if (done.status !== 302) throw new Error(`callback answered ${done.status}`);
  return jar.header() ?? '';
}

/** `taskset -c <cpu>` when available (Linux), so that server and load do not share a core. */
function pinned(cpu: number, command: string[]): string[] {
  const found = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
  return found ? ['taskset', '-c', String(cpu), ...command] : command;
}

async function main(): Promise<void> {
  const found = spawnSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const redis = await startRedis();
  let child: ChildProcess | undefined;
  try {
    const [command, ...args] = pinned(0, [
      process.execPath,
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--serve',
      redis.url,
    ]);
    child = spawn(command as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(
      createInterface({ input: child.stdout as NodeJS.ReadableStream }),
      'line',
    )) as [string];
    const { url } = JSON.parse(line) as { url: string };
    const cookies = new Map<string, string>();
    for (const name of VARIANTS) cookies.set(name, await signIn(url, `/auth-${name}`));
    const duration = Number(values.duration);
    console.log(
      `Server ${url} (${found.status === 0 ? 'pinned: server CPU 0, load CPU 1' : 'not pinned: no taskset'}); ${values.connections} connections, ${values.rounds} rounds of ${duration} s per route, Node ${process.version}`,
    );
    const routes: [string, string | undefined][] = [
      ['baseline', undefined],
      ...VARIANTS.map((name): [string, string | undefined] => [name, cookies.get(name)]),
    ];
    for (const [path, cookie] of routes) await measure(`${url}/${path}`, cookie, 1);
    const samples = new Map<string, number[]>(routes.map(([path]) => [path, []]));
    for (let round = 0; round < Number(values.rounds); round++) {
      const rates: string[] = [];
      for (const [path, cookie] of round % 2 === 0 ? routes : [...routes].reverse()) {
        const rate = await measure(`${url}/${path}`, cookie, duration);
        samples.get(path)?.push(rate);
        rates.push(`${path} ${rate.toFixed(0)}`);
      }
      console.log(`  round ${round + 1}: ${rates.join(', ')} req/s`);
    }
    const base = samples.get('baseline') ?? [];
    if (Math.min(...base) < 0.5 * Math.max(...base)) {
      throw new Error('Invalid run: the baseline varied by more than half between rounds.');
    }
    const rate = (path: string) => median(samples.get(path) ?? []);
    const baseline = rate('baseline');
    const row = (name: string, value: number) =>
      `${name.padEnd(36)}${value.toFixed(0).padStart(8)} req/s   ratio to baseline ${(value / baseline).toFixed(2)}`;
    console.log(row('baseline (no auth, same server)', baseline));
    for (const [store, plain, idle] of [
      ['memory', 'mem', 'mem-idle'],
      ['Redis', 'red', 'red-idle'],
    ] as const) {
      console.log(row(`protected, ${store}`, rate(plain)));
      console.log(
        `${row(`protected, ${store}, idleTimeout`, rate(idle))}   idle / plain ${(rate(idle) / rate(plain)).toFixed(2)} (goal ≥ 0.95)`,
      );
    }
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
