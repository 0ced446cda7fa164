// A deploy-mode worker in a process of its own, for tests that need several real workers over
// one redis-server: an auth app with a protected route, served on a random loopback port.
// Configuration as JSON in WORKER_CONFIG; prints {"url":…} on its first line; exits on SIGTERM.
// GET /errors lists what reached `onError` (route, code, message, the cause's message).
import { Hono } from 'hono';
import { type AuthEnv, createAuthApp } from '../../../src/deploy/index.js';
import type { SessionCacheOptions } from '../../../src/deploy/session-cache.js';
import { serve } from '../../../src/node/index.js';
import { GenericOIDCProvider } from '../../../src/providers/index.js';
import { SECRET } from './fixtures.js';

/** What a test passes to a worker. */
export interface WorkerConfig {
  redisUrl: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  sessionCache?: boolean | SessionCacheOptions;
}

const config = JSON.parse(process.env.WORKER_CONFIG ?? '') as WorkerConfig;
/** What `onError` was given, as GET /errors shows it. */
export interface ReportedError {
  route: string;
  code: string | undefined;
  message: string;
  cause: string | undefined;
}
const reported: ReportedError[] = [];
const hono = new Hono<AuthEnv>();
const running = await serve(hono);
const auth = createAuthApp({
  provider: new GenericOIDCProvider({
    issuerUrl: config.issuer,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
  }),
  secret: SECRET,
  baseUrl: running.url,
  redis: config.redisUrl,
  sessionCache: config.sessionCache,
  loginRateLimit: { max: 1000, windowSeconds: 60 },
  onError: (error, { route }) => {
    const { code, message, cause } = error as { code?: string; message: string; cause?: unknown };
    reported.push({
      route,
      code,
      message,
      cause: cause instanceof Error ? cause.message : undefined,
    });
  },
});
hono.get('/errors', (c) => c.json(reported));
hono.use(auth.middleware());
hono.get(
  '/private',
  auth.protect((c, session) => c.json({ userId: session.userId })),
);
console.log(JSON.stringify({ url: running.url }));

process.once('SIGTERM', async () => {
  await running.close();
  await auth.close();
  process.exit(0);
});
