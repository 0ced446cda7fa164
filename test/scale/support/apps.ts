// The workers of the scale tests: auth apps on one Redis topology, each with its own client,
// the dev provider behind them, and everything closed after the tests.
import assert from 'node:assert/strict';
import { afterEach } from 'node:test';
import {
  type AuthApp,
  type AuthAppOptions,
  type RedisClient,
  RedisTokenStore,
} from '../../../src/deploy/index.js';
import type { Fetcher } from '../../deploy/support/app-browser.js';
import { BASE_URL, type Browser, makeApp, useDevProvider } from '../../deploy/support/fixtures.js';
import { makeDue } from '../../helpers/token-age.js';
import { type Node, waitFor } from './topology.js';

/** An error a worker reported through `onError`, when, and on which route. */
export interface ReportedError {
  at: number;
  route: string;
  error: unknown;
}

/** The session id behind a browser's session cookie. */
export function sessionIdOf(browser: Browser): string {
  const cookie = browser.sessionCookie();
  assert.ok(cookie, 'signed in');
  return cookie.slice(0, cookie.lastIndexOf('.'));
}

/**
 * node:test fixture for the enclosing describe: `connect()` opens a client with `open` and
 * waits until it is ready; `app(options)` creates an auth app (a worker) on a client of its own. The
 * apps and clients of a test are closed after it: while the topology still runs (node:test
 * runs `after` hooks in the order they were registered, so the topology's fixture, set up
 * first, would stop it before clients closed in an `after` of this one).
 */
export function useScaleApps<C extends RedisClient>(open: () => C) {
  const dev = useDevProvider();
  const clients: C[] = [];
  const apps: AuthApp[] = [];
  // What the workers reported through `onError` (the causes of their 503 answers).
  const errors: ReportedError[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    for (const client of clients.splice(0)) client.disconnect();
    errors.length = 0;
  });
  const connect = async (): Promise<C> => {
    const client = open();
    client.on('error', () => {});
    clients.push(client);
    await new Promise((resolve) => client.once('ready', resolve));
    return client;
  };
  const app = async (options: Partial<AuthAppOptions> = {}): Promise<AuthApp> => {
    // The option's type takes a Cluster or a Sentinel-configured client as it is.
    const auth = makeApp(dev(), {
      redis: await connect(),
      loginRateLimit: { max: 100_000, windowSeconds: 60 },
      onError: (error, { route }) => errors.push({ at: Date.now(), route, error }),
      ...options,
    });
    apps.push(auth);
    return auth;
  };
  return { dev, connect, app, clients, errors };
}

/** The refresh token stored for session `id`, read through `client`. */
export async function storedRefreshToken(client: RedisClient, id: string): Promise<string> {
  return JSON.parse((await client.get(`authflow:tokens:${id}`)) ?? '{}').refreshToken;
}

/**
 * At the same time: `a` logs out on `one`, and `b` refreshes on `two` (its token set aged
 * first, as /auth/refresh refreshes only a set in the second half of its lifetime). Both must
 * be acknowledged. Resolves `b`'s refresh token from before.
 */
export async function logOutWhileRefreshing(
  admin: RedisClient,
  [a, one]: [Browser, Fetcher],
  [b, two]: [Browser, Fetcher],
): Promise<string> {
  const idB = sessionIdOf(b);
  const before = await storedRefreshToken(admin, idB);
  await makeDue(new RedisTokenStore({ client: admin, keyPrefix: 'authflow:' }), idB);
  const [logout, refresh] = await Promise.all([
    a.post(one, '/auth/logout'),
    b.post(two, '/auth/refresh'),
  ]);
  assert.equal(logout.status, 200);
  assert.equal(refresh.status, 200);
  return before;
}

/** After a failover: once writes are back (no more 503), `b`'s next refresh on `site` works. */
export async function expectNextRefresh(b: Browser, site: Fetcher): Promise<void> {
  let next = 0;
  await waitFor('the next refresh', async () => {
    next = (await b.post(site, '/auth/refresh')).status;
    return next !== 503;
  });
  assert.equal(next, 200, 'the next refresh works with the stored token');
}

/** `/api/me`'s status on `site` for the session cookie `cookie` (kept from before a logout). */
export async function statusFor(site: Fetcher, cookie: string): Promise<number> {
  const response = await site.fetch(
    new Request(`${BASE_URL}/api/me`, { headers: { cookie: `authflow_session=${cookie}` } }),
    { remoteAddress: '10.0.9.9' },
  );
  await response.body?.cancel();
  return response.status;
}

/** The Redis GETs (session reads) that `nodes` served while `fn` ran, by their own counters. */
export async function getsDuring(nodes: readonly Node[], fn: () => Promise<void>): Promise<number> {
  await Promise.all(nodes.map((node) => node.cli('CONFIG', 'RESETSTAT')));
  await fn();
  const stats = await Promise.all(nodes.map((node) => node.cli('INFO', 'commandstats')));
  return stats.reduce(
    (sum, text) => sum + Number(/^cmdstat_get:calls=(\d+)/m.exec(text)?.[1] ?? 0),
    0,
  );
}

/** Waits until `site` serves `cookie`'s session from its cache: a read that no node sees. */
export async function waitUntilCaching(
  site: Fetcher,
  cookie: string,
  nodes: () => readonly Node[],
): Promise<void> {
  await waitFor('the worker to serve the session from its cache', async () => {
    assert.equal(await statusFor(site, cookie), 200);
    const read = async () => assert.equal(await statusFor(site, cookie), 200);
    return (await getsDuring(nodes(), read)) === 0;
  });
}
