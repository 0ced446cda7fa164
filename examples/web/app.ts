/**
 * The deploy-mode demo: a small Hono app signing its users in through the embedded development
 * provider, with a home page, a protected page, an admin page and the browser client module.
 * `server.ts` runs it; the browser tests drive it too.
 */
import { readFile } from 'node:fs/promises';
import { Hono } from 'hono';
import { html } from 'hono/html';
import ts from 'typescript';
import { type AuthApp, type AuthEnv, createAuthApp } from '../../src/deploy/index.js';
import { type DevProvider, startDevProvider } from '../../src/dev/index.js';
import { serve } from '../../src/node/index.js';
import { GenericOIDCProvider } from '../../src/providers/oidc.js';

/** Options of {@link startWebExample}. */
export interface WebExampleOptions {
  /** Port on 127.0.0.1. Default 0 (random). */
  port?: number;
  /** A redis:// URL: keep all server-side state there instead of in memory. */
  redis?: string;
  /** How many app instances ("workers") share the server, taking requests in turn. Default 1. */
  workers?: number;
  /** Users (ids) who get the admin role. Default `['admin']`. */
  adminUsers?: string[];
}

/** The running demo. */
export interface WebExample {
  /** Where the app listens. */
  url: string;
  /** The development provider it signs in with. */
  dev: DevProvider;
  /** The auth app instances (one per worker). */
  auth: AuthApp[];
  /** Stops everything. */
  close(): Promise<void>;
}

const clientModule = (async () => {
  const source = await readFile(new URL('../../src/client/index.ts', import.meta.url), 'utf8');
  return ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
})();

const layout = (title: string, body: unknown) => html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} · authflow demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}nav a{margin-right:1em}code{background:#f3f3f3;padding:0 .3em}</style>
</head><body><nav><a href="/">Home</a><a href="/private">Protected page</a><a href="/admin">Admin page</a></nav>
<h1>${title}</h1>${body}
<script type="module">
import { getState, logout, onAuthStateChange } from '/authflow/client.js';
document.getElementById('logout')?.addEventListener('click', async () => { await logout(); location.href = '/'; });
onAuthStateChange((state) => { document.documentElement.dataset.authenticated = String(state.authenticated); });
getState();
</script></body></html>`;

/** Builds one worker: an auth app and the Hono app using it. */
function worker(dev: DevProvider, baseUrl: string, options: WebExampleOptions, secret: string) {
  const auth = createAuthApp({
    provider: new GenericOIDCProvider({
      issuerUrl: dev.issuer,
      clientId: dev.webClientId,
      clientSecret: dev.webClientSecret,
    }),
    secret,
    baseUrl,
    redis: options.redis,
    adminUsers: options.adminUsers ?? ['admin'],
  });
  const app = new Hono<AuthEnv>();
  app.use(auth.middleware());
  app.get('/authflow/client.js', async (c) =>
    c.body(await clientModule, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/', (c) => {
    const session = c.get('session');
    return c.html(
      layout(
        'Home',
        session
          ? html`<p id="user">Signed in as <strong>${session.userId}</strong>, roles: <code id="roles">${session.roles.join(', ')}</code>.</p>
<p><button id="logout">Sign out</button></p>`
          : html`<p id="anonymous">You are not signed in.</p><p><a id="login" href="${auth.loginPath}">Sign in</a> (any user name works; <code>admin</code> is an admin).</p>`,
      ),
    );
  });
  app.get('/private', auth.requireAuth(), (c) => {
    const session = c.get('session');
    const info = session?.metadata.userInfo ?? {};
    return c.html(
      layout(
        'Protected page',
        html`<p id="private">Hello <strong>${session?.userId}</strong>. Your email: <code>${String(info.email ?? 'none')}</code>.</p>
<p><button id="logout">Sign out</button></p>`,
      ),
    );
  });
  app.get('/admin', auth.requireRole('admin'), (c) =>
    c.html(layout('Admin page', html`<p id="admin">Only admins see this.</p>`)),
  );
  app.get('/api/me', auth.requireAuth(), (c) => {
    const session = c.get('session');
    return c.json({ userId: session?.userId, roles: session?.roles });
  });
  return { auth, app };
}

/** Starts the development provider and the demo app on 127.0.0.1. */
export async function startWebExample(options: WebExampleOptions = {}): Promise<WebExample> {
  const dev = await startDevProvider();
  const workers: ReturnType<typeof worker>[] = [];
  let turn = 0;
  try {
    const running = await serve(
      {
        fetch: (request, env) => {
          const next = workers[turn++ % workers.length];
          return next ? next.app.fetch(request, env) : new Response('Starting', { status: 503 });
        },
      },
      { port: options.port ?? 0 },
    );
    // One secret shared by every worker, as in production (there: from the environment).
    const secret = process.env.AUTH_SECRET ?? randomSecret();
    for (let i = 0; i < (options.workers ?? 1); i++)
      workers.push(worker(dev, running.url, options, secret));
    return {
      url: running.url,
      dev,
      auth: workers.map((w) => w.auth),
      async close() {
        await running.close();
        await Promise.all(workers.map((w) => w.auth.close()));
        await dev.close();
      },
    };
  } catch (error) {
    await dev.close();
    throw error;
  }
}

function randomSecret(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}
