// The workers of the scale tests: auth apps on one Redis topology, each with its own client,
// the dev provider behind them, and everything closed after the tests.
import assert from 'node:assert/strict';
import { afterEach } from 'node:test';
import type { AuthApp, RedisClient } from '../../../src/deploy/index.js';
import { type Browser, makeApp, useDevProvider } from '../../deploy/support/fixtures.js';

/** The session id behind a browser's session cookie. */
export function sessionIdOf(browser: Browser): string {
  const cookie = browser.sessionCookie();
  assert.ok(cookie, 'signed in');
  return cookie.slice(0, cookie.lastIndexOf('.'));
}

/**
 * node:test fixture for the enclosing describe: `connect()` opens a client with `open` and
 * waits until it is ready; `app()` creates an auth app (a worker) on a client of its own. The
 * apps and clients of a test are closed after it: while the topology still runs (node:test
 * runs `after` hooks in the order they were registered, so the topology's fixture, set up
 * first, would stop it before clients closed in an `after` of this one).
 */
export function useScaleApps<C extends RedisClient>(open: () => C) {
  const dev = useDevProvider();
  const clients: C[] = [];
  const apps: AuthApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    for (const client of clients.splice(0)) client.disconnect();
  });
  const connect = async (): Promise<C> => {
    const client = open();
    client.on('error', () => {});
    clients.push(client);
    await new Promise((resolve) => client.once('ready', resolve));
    return client;
  };
  const app = async (): Promise<AuthApp> => {
    // The option's type takes a Cluster or a Sentinel-configured client as it is.
    const auth = makeApp(dev(), {
      redis: await connect(),
      loginRateLimit: { max: 100_000, windowSeconds: 60 },
    });
    apps.push(auth);
    return auth;
  };
  return { dev, connect, app, clients };
}
