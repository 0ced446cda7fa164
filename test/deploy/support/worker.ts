// A deploy-mode worker in a process of its own, for tests that need several real workers over
// one redis-server: an auth app with a protected route, served on a random loopback port.
// Configuration as JSON in WORKER_CONFIG; prints {"url":…} on its first line; exits on SIGTERM.
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
});
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
