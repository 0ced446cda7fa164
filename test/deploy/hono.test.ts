// Hono middleware: session on the context, requireAuth / requireRole / requirePermission,
// one store read per request, 503 when the store is down.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Hono } from 'hono';
import {
  type AuthAppOptions,
  type AuthEnv,
  MemorySessionStore,
  type SessionStore,
} from '../../src/deploy/index.js';
import { Browser, makeApp, useDevProvider } from './support/fixtures.js';

class CountingStore extends MemorySessionStore {
  gets = 0;
  down = false;
  override async get(sessionId: string) {
    this.gets++;
    if (this.down) throw new Error('connection refused');
    return super.get(sessionId);
  }
}

describe('Hono middleware', () => {
  const dev = useDevProvider();
  const store = new CountingStore();
  let closeApp: () => Promise<void> = async () => {};
  after(() => closeApp());

  const build = (onError?: AuthAppOptions['onError']) => {
    const auth = makeApp(dev(), {
      onError,
      sessionStore: store as SessionStore,
      adminUsers: ['root'],
      rolePermissions: { admin: ['read', 'write'], viewer: ['read'], anonymous: [] },
    });
    closeApp = () => auth.close();
    const app = new Hono<AuthEnv>();
    app.use(auth.middleware());
    app.get('/', (c) => c.json({ user: c.get('session')?.userId ?? null }));
    app.get('/api/me', auth.requireAuth(), (c) => c.json({ user: c.get('session')?.userId }));
    app.get('/admin', auth.requireRole('admin'), (c) => c.text('admin area'));
    app.get(
      '/api/users/:id',
      auth.protect((c, session) => c.json({ user: session.userId })),
    );
    app.post('/api/write', auth.requireAuth(), auth.requirePermission('read', 'write'), (c) =>
      c.text('written'),
    );
    return { auth, app };
  };

  it('serves the auth routes and guards app routes by session, role and permission', async () => {
    const { app } = build();
    const anonymous = new Browser();
    assert.deepEqual(await (await anonymous.call(app, '/')).json(), { user: null });
    const api = await anonymous.call(app, '/api/me', { headers: { accept: 'application/json' } });
    assert.equal(api.status, 401);
    assert.equal(((await api.json()) as { error: string }).error, 'not_authenticated');
    const page = await anonymous.call(app, '/admin?x=1', {
      headers: { 'sec-fetch-mode': 'navigate', accept: 'text/html' },
    });
    assert.equal(page.status, 302);
    assert.equal(page.headers.get('location'), '/auth/login?returnTo=%2Fadmin%3Fx%3D1');
    assert.equal(
      (await anonymous.call(app, '/auth/status')).status,
      200,
      'auth routes served by the middleware',
    );

    const viewer = new Browser();
    await viewer.signIn(app, 'alice');
    assert.deepEqual(await (await viewer.call(app, '/')).json(), { user: 'alice' });
    assert.deepEqual(await (await viewer.call(app, '/api/me')).json(), { user: 'alice' });
    const forbidden = await viewer.call(app, '/admin');
    assert.equal(forbidden.status, 403);
    assert.equal(((await forbidden.json()) as { error: string }).error, 'forbidden');
    assert.equal((await viewer.call(app, '/api/write', { method: 'POST' })).status, 403);

    const admin = new Browser();
    await admin.signIn(app, 'root');
    assert.equal(await (await admin.call(app, '/admin')).text(), 'admin area');
    store.gets = 0;
    assert.equal(await (await admin.call(app, '/api/write', { method: 'POST' })).text(), 'written');
    assert.equal(store.gets, 1, 'middleware + requireAuth + requirePermission read the store once');
  });

  it('answers 503 store_unavailable when the store fails, reports why, and recovers', async () => {
    const reported: { route: string; error: unknown }[] = [];
    const { app, auth } = build((error, { route }) => reported.push({ route, error }));
    // protect() alone, without the middleware in front.
    const bare = new Hono<AuthEnv>();
    bare.get(
      '/api/users/:id',
      auth.protect((c, session) => c.json({ user: session.userId })),
    );
    const browser = new Browser();
    await browser.signIn(app, 'alice');
    store.down = true;
    try {
      for (const [site, path] of [
        [app, '/'],
        [app, '/api/me'],
        [app, '/auth/status'],
        [app, '/api/users/alice'],
        [bare, '/api/users/alice'],
      ] as const) {
        const response = await browser.call(site, path);
        assert.equal(response.status, 503, path);
        assert.equal(((await response.json()) as { error: string }).error, 'store_unavailable');
      }
    } finally {
      store.down = false;
    }
    // Every 503 reaches onError with its cause; app routes by pattern, never by path values.
    assert.deepEqual(
      reported.map(({ route }) => route),
      ['/*', '/*', 'status', '/*', '/api/users/:id'],
      'the middleware reads the session first on every route of `app`',
    );
    for (const { error } of reported) {
      assert.equal((error as Error & { code?: string }).code, 'store_error');
      assert.match(String(((error as Error).cause as Error)?.message), /connection refused/);
    }
    assert.deepEqual(await (await browser.call(app, '/api/me')).json(), { user: 'alice' });
  });

  it('guards routes the same with its own memory store (read without waiting)', async () => {
    const auth = makeApp(dev(), { adminUsers: ['root'] });
    try {
      const app = new Hono<AuthEnv>();
      app.use(auth.middleware());
      app.get('/api/me', auth.requireAuth(), (c) => {
        const session = c.get('session');
        // An app scribbling on the session must not change what later requests read.
        assert.throws(() => session?.roles.push('admin'), TypeError);
        assert.throws(() => {
          if (session?.metadata.userInfo) session.metadata.userInfo.sub = 'root';
        }, TypeError);
        return c.json({ user: session?.userId, roles: session?.roles });
      });
      app.get('/admin', auth.requireRole('admin'), (c) => c.text('admin area'));
      const anonymous = new Browser();
      const refused = await anonymous.call(app, '/api/me', {
        headers: { accept: 'application/json' },
      });
      assert.equal(refused.status, 401);
      const viewer = new Browser();
      await viewer.signIn(app, 'alice');
      for (let i = 0; i < 2; i++) {
        assert.deepEqual(await (await viewer.call(app, '/api/me')).json(), {
          user: 'alice',
          roles: ['viewer'],
        });
      }
      assert.equal((await viewer.call(app, '/admin')).status, 403, 'the stored roles are intact');
    } finally {
      await auth.close();
    }
  });

  it('protect() runs the handler only for a signed-in user, with the same refusals', async () => {
    for (const sessionStore of [store as SessionStore, undefined]) {
      // With the counting store (read through a Promise) and with authflow's own memory store.
      const auth = makeApp(dev(), sessionStore ? { sessionStore } : {});
      try {
        const app = new Hono<AuthEnv>();
        app.all('/auth/*', (c) => auth.fetch(c.req.raw, c.env));
        app.get(
          '/api/me',
          auth.protect((c, session) =>
            c.json({ user: session.userId, same: c.get('session') === session }),
          ),
        );
        const anonymous = new Browser();
        const refused = await anonymous.call(app, '/api/me', {
          headers: { accept: 'application/json' },
        });
        assert.equal(refused.status, 401);
        assert.equal(((await refused.json()) as { error: string }).error, 'not_authenticated');
        const page = await anonymous.call(app, '/api/me', {
          headers: { 'sec-fetch-mode': 'navigate', accept: 'text/html' },
        });
        assert.equal(page.headers.get('location'), '/auth/login?returnTo=%2Fapi%2Fme');
        const user = new Browser();
        await user.signIn(app, 'alice');
        assert.deepEqual(await (await user.call(app, '/api/me')).json(), {
          user: 'alice',
          same: true,
        });
        if (sessionStore) {
          store.down = true;
          try {
            assert.equal((await user.call(app, '/api/me')).status, 503);
          } finally {
            store.down = false;
          }
        }
      } finally {
        await auth.close();
      }
    }
  });

  it('checks permissions against the app’s role map', () => {
    const { auth } = build();
    const session = {
      sessionId: 's',
      userId: 'u',
      roles: ['viewer'],
      createdAt: 0,
      expiresAt: 0,
      metadata: {},
    };
    assert.equal(auth.hasPermission(session, 'read'), true);
    assert.equal(auth.hasPermission(session, 'write'), false);
    assert.equal(auth.hasPermission(null, 'read'), false);
    // The app's map replaces the default one: no `delete` for its admin, no `editor` role.
    assert.equal(auth.hasPermission({ ...session, roles: ['admin'] }, 'write'), true);
    assert.equal(auth.hasPermission({ ...session, roles: ['admin'] }, 'delete'), false);
    assert.equal(auth.hasPermission({ ...session, roles: ['editor'] }, 'write'), false);
    assert.equal(auth.hasPermission({ ...session, roles: ['constructor'] }, 'read'), false);
  });
});
