// The Express and Fastify examples through real HTTP servers and headless Chromium, in memory
// and on a real redis-server: sign-in, the session in the framework's handlers, an API called
// with the user's access token, back-channel logout through the framework's body parsers, and
// the login rate limit keyed by the socket's address.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startExpressExample } from '../../examples/express/server.js';
import { startFastifyExample } from '../../examples/fastify/server.js';
import type {
  FrameworkExample,
  FrameworkExampleOptions,
} from '../../examples/frameworks-shared.js';
import {
  signInAtDevProvider,
  signOutAtDevProvider,
  useBrowser,
  withPage,
} from '../helpers/browser.js';
import { useRedis, useRedisAdmin } from '../helpers/redis.js';

const FRAMEWORKS: [string, (options: FrameworkExampleOptions) => Promise<FrameworkExample>][] = [
  ['Express', startExpressExample],
  ['Fastify', startFastifyExample],
];

describe('framework adapters through real servers', () => {
  const browser = useBrowser();
  const redis = useRedis();
  const admin = useRedisAdmin(redis);

  for (const [name, start] of FRAMEWORKS) {
    for (const store of ['memory', 'redis'] as const) {
      it(`${name} (${store}): sign-in, session, API as the user, back-channel logout behind body parsers, rate limit by client address`, async () => {
        const prefix = `fw-${name}-${store}:`;
        const example = await start({
          ...(store === 'redis' ? { redis: redis().url } : {}),
          auth: { keyPrefix: prefix, loginRateLimit: { max: 3, windowSeconds: 60 } },
        });
        try {
          const { url } = example;
          await withPage(browser(), async (page, context) => {
            await signInAtDevProvider(page, `${url}/auth/login?returnTo=/api/me`, {
              username: 'alice',
            });
            const get = async (path: string) => {
              const response = await context.request.get(`${url}${path}`, { maxRedirects: 0 });
              return { status: response.status(), body: await response.json() };
            };
            assert.deepEqual(await get('/api/me'), {
              status: 200,
              body: { userId: 'alice', roles: ['viewer'] },
            });
            const profile = await get('/api/profile');
            assert.equal(profile.status, 200);
            assert.equal(profile.body.profile.sub, 'alice', 'the API saw the user’s token');
            assert.ok(profile.body.scopes.includes('openid'));

            // The app's own routes keep their parsed bodies.
            const echo = await fetch(`${url}/api/echo`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: 'a=1',
            });
            assert.deepEqual(await echo.json(), { body: { a: '1' } });
            // The auth routes get theirs through the framework's parsers.
            const forged = await fetch(`${url}/auth/backchannel-logout`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: 'logout_token=forged.token.value',
            });
            assert.equal(forged.status, 400);
            assert.equal(
              ((await forged.json()) as { errorDescription: string }).errorDescription,
              'The logout token is not valid.',
            );
            assert.equal((await get('/api/me')).status, 200, 'a forged token ends nothing');

            // Signing out at the provider: its logout token ends the app's session.
            await signOutAtDevProvider(page, `${example.dev.issuer}/session/end`);
            assert.equal((await get('/api/me')).status, 401);
            assert.equal((await get('/api/profile')).status, 401);
          });

          // One login used by the browser; two more pass; the fourth from this socket is
          // refused, whatever X-Forwarded-For claims (the app does not trust proxies).
          const login = (forwardedFor: string) =>
            fetch(`${url}/auth/login`, {
              redirect: 'manual',
              headers: { 'x-forwarded-for': forwardedFor },
            }).then((response) => response.status);
          assert.deepEqual(
            [await login('203.0.113.1'), await login('203.0.113.2'), await login('203.0.113.3')],
            [302, 302, 429],
          );
          if (store === 'redis') {
            assert.deepEqual(await admin().keys(`${prefix}rate:login:*`), [
              `${prefix}rate:login:ip:127.0.0.1`,
            ]);
          }
        } finally {
          await example.close();
        }
      });
    }
  }
});
