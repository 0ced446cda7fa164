// OpenID Connect Back-Channel Logout in a real browser: sign in to the app at the embedded
// provider, sign out at the provider, and the provider's logout token ends the app's session
// on every worker (two workers on one real redis-server, and one worker in memory).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { startDevProvider } from '../../src/dev/index.js';
import {
  signInAtDevProvider,
  signOutAtDevProvider,
  useBrowser,
  withPage,
} from '../helpers/browser.js';
import { useRedis, useRedisAdmin } from '../helpers/redis.js';
import { startWorkers, type Worker } from './support/workers.js';

/** What `/api/me` answers on each worker for the browser's cookies. */
async function whoAmI(context: BrowserContext, workers: Worker[]) {
  return Promise.all(
    workers.map(async (worker) => {
      const response = await context.request.get(`${worker.server.url}/api/me`, {
        headers: { accept: 'application/json' },
        maxRedirects: 0,
      });
      return { status: response.status(), body: (await response.json()) as { userId?: string } };
    }),
  );
}

/** Starts workers whose provider sends logout tokens to the first worker. */
function startWithBackchannel(count: number, options: Parameters<typeof startWorkers>[2] = {}) {
  return startWorkers(
    (baseUrl) =>
      startDevProvider({
        webClientBackchannelLogoutUri: `${baseUrl}/auth/backchannel-logout`,
      }),
    count,
    options,
  );
}

describe('back-channel logout from the embedded provider, in a real browser', () => {
  const browser = useBrowser();
  const redis = useRedis();
  const admin = useRedisAdmin(redis);

  it('two workers on one Redis: signing out at the provider ends the session on both', async () => {
    const { workers, baseUrl, dev, close } = await startWithBackchannel(2, {
      redis: redis().url,
      keyPrefix: 'bcl1:',
    });
    try {
      await withPage(browser(), async (page, context) => {
        await signInAtDevProvider(page, `${baseUrl}/auth/login?returnTo=/api/me`, {
          username: 'alice',
        });
        assert.deepEqual(
          (await whoAmI(context, workers)).map((a) => [a.status, a.body.userId]),
          [
            [200, 'alice'],
            [200, 'alice'],
          ],
        );
        const keys = await admin().keys('bcl1:session:*');
        assert.equal(keys.length, 1);
        const stored = JSON.parse((await admin().get(keys[0] as string)) ?? '{}');
        assert.equal(typeof stored.sid, 'string', "the provider's sid is recorded at sign-in");

        // A second browser of another user stays signed in.
        await withPage(browser(), async (otherPage, otherContext) => {
          await signInAtDevProvider(otherPage, `${baseUrl}/auth/login?returnTo=/api/me`, {
            username: 'bob',
          });
          await signOutAtDevProvider(page, `${dev.issuer}/session/end`);
          assert.deepEqual(
            (await whoAmI(context, workers)).map((a) => a.status),
            [401, 401],
            'signed out on every worker',
          );
          assert.equal(await admin().exists(keys[0] as string), 0);
          assert.deepEqual(
            (await whoAmI(otherContext, workers)).map((a) => [a.status, a.body.userId]),
            [
              [200, 'bob'],
              [200, 'bob'],
            ],
          );
        });
      });
    } finally {
      await close();
    }
  });

  it('in memory: signing out at the provider ends the session', async () => {
    const { workers, baseUrl, dev, close } = await startWithBackchannel(1);
    try {
      await withPage(browser(), async (page, context) => {
        await signInAtDevProvider(page, `${baseUrl}/auth/login?returnTo=/api/me`, {
          username: 'carol',
        });
        assert.equal((await whoAmI(context, workers))[0]?.status, 200);
        const [worker] = workers as [Worker];
        assert.equal((await worker.auth.listSessions('carol')).length, 1);
        await signOutAtDevProvider(page, `${dev.issuer}/session/end`);
        assert.equal((await whoAmI(context, workers))[0]?.status, 401);
        assert.deepEqual(await worker.auth.listSessions('carol'), []);
      });
    } finally {
      await close();
    }
  });
});
