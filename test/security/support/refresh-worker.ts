/**
 * One deploy worker in its own process, for tests that kill it (SIGKILL) in the middle of a
 * refresh. Serves an auth app over HTTP on 127.0.0.1 (random port) against the dev provider's
 * web client and a shared Redis, and prints `listening <url>` once it accepts requests.
 * Configured through the environment (the client secret is never on the command line):
 * REFRESH_WORKER_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _SECRET, _BASE_URL, _REDIS_URL, _PREFIX.
 * Not a test file itself.
 */
import { createAuthApp } from '../../../src/deploy/index.js';
import { serve } from '../../../src/node/index.js';
import { GenericOIDCProvider } from '../../../src/providers/oidc.js';

function setting(name: string): string {
  const value = process.env[`REFRESH_WORKER_${name}`];
  if (!value) throw new Error(`REFRESH_WORKER_${name} is not set`);
  return value;
}

const app = createAuthApp({
  provider: new GenericOIDCProvider({
    issuerUrl: setting('ISSUER'),
    clientId: setting('CLIENT_ID'),
    clientSecret: setting('CLIENT_SECRET'),
    timeoutSeconds: 30,
  }),
  secret: setting('SECRET'),
  baseUrl: setting('BASE_URL'),
  redis: setting('REDIS_URL'),
  keyPrefix: setting('PREFIX'),
});
const running = await serve(app);
process.stdout.write(`listening ${running.url}\n`);
