// authflow/node: serving on Node's http (loopback by default) and mounting in an Express-style
// middleware chain.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { AuthApp } from '../../src/deploy/index.js';
import {
  type ExpressLikeRequest,
  type ExpressLikeResponse,
  expressAuth,
  serve,
} from '../../src/node/index.js';
import { Browser, makeApp, useDevProvider } from '../deploy/support/fixtures.js';

describe('authflow/node', () => {
  const dev = useDevProvider();
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const app = (): AuthApp => {
    const auth = makeApp(dev());
    cleanups.push(() => auth.close());
    return auth;
  };

  it('serves the handler on 127.0.0.1 by default, with the client IP from the socket, and closes keep-alive connections', async () => {
    const auth = makeApp(dev(), { loginRateLimit: { max: 1, windowSeconds: 60 } });
    cleanups.push(() => auth.close());
    const running = await serve(auth);
    cleanups.push(() => running.close());
    assert.equal((running.server.address() as AddressInfo).address, '127.0.0.1');
    assert.match(running.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const status = await fetch(`${running.url}/auth/status`);
    assert.deepEqual(await status.json(), { authenticated: false });
    assert.equal((await fetch(`${running.url}/auth/login`, { redirect: 'manual' })).status, 302);
    assert.equal(
      (await fetch(`${running.url}/auth/login`, { redirect: 'manual' })).status,
      429,
      'rate limited by socket address',
    );
    const bad = await fetch(`${running.url}/auth/callback?state=a&state=b`);
    assert.equal(bad.status, 400);
    const huge = await fetch(`${running.url}/auth/status`, {
      headers: { cookie: `authflow_session=${'a'.repeat(20_000)}` },
    });
    assert.equal(huge.status, 431, 'oversized headers refused by the server, not a crash');
    assert.deepEqual(
      await (await fetch(`${running.url}/auth/status`)).json(),
      { authenticated: false },
      'still serving',
    );
    const started = Date.now();
    await running.close();
    assert.ok(Date.now() - started < 2000, 'keep-alive connections do not hold close()');
  });

  it('mounts in an Express-style chain: auth routes served, the session on res.locals', async () => {
    const auth = app();
    const browser = new Browser();
    await browser.signIn(auth, 'alice');
    const middleware = expressAuth(auth);
    // A minimal Express stand-in: mount-path stripping plus `originalUrl` and `locals`.
    const server = createServer((req: ExpressLikeRequest, res: ExpressLikeResponse) => {
      req.originalUrl = req.url;
      res.locals = {};
      middleware(req, res, (error) => {
        if (error) {
          res.statusCode = 500;
          res.end();
          return;
        }
        const session = res.locals?.authSession as { userId: string } | null;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ path: req.url, user: session?.userId ?? null }));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(
      () =>
        new Promise((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cookie = browser.jar.header() ?? '';
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        httpRequest(`${url}${path}`, { headers: { cookie } }, (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
          .on('error', reject)
          .end();
      });
    assert.deepEqual(JSON.parse((await get('/dashboard')).body), {
      path: '/dashboard',
      user: 'alice',
    });
    const status = await get('/auth/status');
    assert.equal(JSON.parse(status.body).userId, 'alice');
    assert.equal((await get('/auth/nope')).status, 404);
  });
});
