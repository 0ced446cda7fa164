// Workers behind real HTTP: each worker is its own auth app (and, with Redis, its own Redis
// client) serving a small Hono app on its own loopback port, the way several processes behind
// a load balancer would. A test "browser" reaches them through real sockets.
import { Hono } from 'hono';
import { sha256 } from '../../../src/deploy/crypto.js';
import type { AuthApp, AuthAppOptions, AuthEnv } from '../../../src/deploy/index.js';
import type { DevProvider } from '../../../src/dev/index.js';
import { AuthenticationError } from '../../../src/errors.js';
import { type RunningServer, serve } from '../../../src/node/index.js';
import type { Fetcher } from './app-browser.js';
import { makeApp } from './fixtures.js';

/** One worker: its auth app, its HTTP server, and a Fetcher that reaches it over HTTP. */
export interface Worker {
  auth: AuthApp;
  server: RunningServer;
  /** Sends a test Request (any origin) to this worker's socket, without following redirects. */
  http: Fetcher;
}

/**
 * The app each worker serves: `/api/me` (protected), `/api/token` (the user's access token,
 * only a fingerprint of it in the answer), and the auth routes.
 */
export function workerApp(auth: AuthApp): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.use(auth.middleware());
  app.get(
    '/api/me',
    auth.protect((c, session) => c.json({ userId: session.userId })),
  );
  app.get('/api/token', async (c) => {
    try {
      const token = await auth.getAccessToken(c);
      if (token === null) return c.json({ error: 'not_authenticated' }, 401);
      return c.json({
        fingerprint: await sha256(token.accessToken),
        tokenType: token.tokenType,
        expiresAt: token.expiresAt,
        scopes: token.scopes,
        keys: Object.keys(token).sort(),
      });
    } catch (error) {
      if (error instanceof AuthenticationError) return c.json({ error: error.code }, 401);
      throw error;
    }
  });
  return app;
}

/**
 * Starts `count` workers for the dev provider; `baseUrl` is the first worker's address. `dev`
 * may be a function that starts the provider once the app's address is known (closed with the
 * workers then).
 */
export async function startWorkers(
  devOrStart: DevProvider | ((baseUrl: string) => Promise<DevProvider>),
  count: number,
  options: Partial<AuthAppOptions> = {},
): Promise<{ workers: Worker[]; baseUrl: string; dev: DevProvider; close(): Promise<void> }> {
  const apps: (Hono<AuthEnv> | undefined)[] = [];
  const servers: RunningServer[] = [];
  const auths: AuthApp[] = [];
  let dev = typeof devOrStart === 'function' ? undefined : devOrStart;
  const ownDev = typeof devOrStart === 'function';
  try {
    for (let i = 0; i < count; i++) {
      servers.push(
        await serve({
          fetch: (request, env) =>
            apps[i]?.fetch(request, env) ?? new Response('starting', { status: 503 }),
        }),
      );
    }
    const baseUrl = (servers[0] as RunningServer).url;
    if (typeof devOrStart === 'function') dev = await devOrStart(baseUrl);
    for (let i = 0; i < count; i++) {
      const auth = makeApp(dev as DevProvider, { baseUrl, ...options });
      auths.push(auth);
      apps[i] = workerApp(auth);
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(auths.map((a) => a.close()));
    if (ownDev) await dev?.close();
    throw error;
  }
  const workers = servers.map((server, i) => ({
    auth: auths[i] as AuthApp,
    server,
    http: overHttp(server.url),
  }));
  return {
    workers,
    baseUrl: (servers[0] as RunningServer).url,
    dev: dev as DevProvider,
    async close() {
      await Promise.all(servers.map((s) => s.close()));
      await Promise.all(auths.map((a) => a.close()));
      if (ownDev) await dev?.close();
    },
  };
}

/** A Fetcher that sends the request to `url`'s host over a real socket (path, method, headers, body kept). */
export function overHttp(url: string): Fetcher {
  return {
    async fetch(request: Request) {
      const target = new URL(request.url);
      const base = new URL(url);
      target.protocol = base.protocol;
      target.host = base.host;
      const body =
        request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.text();
      return fetch(target, {
        method: request.method,
        headers: request.headers,
        body,
        redirect: 'manual',
      });
    },
  };
}
