/**
 * Issue 8 §1, refresh with short-lived tokens: a refresh buffer as long as the token's lifetime
 * (the default 60 s against 30-second tokens) made every fresh token look "about to expire",
 * and each refresh re-armed at 0 ms: ~600 refresh grants in 3 seconds. Counted here at the
 * embedded provider (oidc-provider's token endpoint), for SessionManager, deploy mode over two
 * workers on a real redis-server, and authflow/client. The CLI case (ten `authflow token`
 * processes) is SLT-05 in test/cli/refresh.test.ts; the rule itself is tested in
 * test/tokens/refresh-due.test.ts (SLT-00*).
 *
 * Ids: SLT-01 … SLT-04.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as client from 'openid-client';
import { createAuthClient } from '../../src/client/index.js';
import { type AuthApp, RedisTokenStore } from '../../src/deploy/index.js';
import type { DevProvider } from '../../src/dev/index.js';
import { GenericOIDCProvider } from '../../src/providers/oidc.js';
import { SessionManager } from '../../src/session/session-manager.js';
import { MemoryTokenStore } from '../../src/stores/memory.js';
import { MIN_REFRESH_DELAY_MS } from '../../src/tokens/refresh-due.js';
import type { OAuthTokenSet } from '../../src/tokens/token-set.js';
import { Browser, makeApp, signInOverHttp, useAppCloser } from '../deploy/support/fixtures.js';
import { useDevProvider } from '../helpers/dev-provider.js';
import { useRedis, useRedisAdmin } from '../helpers/redis.js';
import { halfLived, makeDue } from '../helpers/token-age.js';

/** A native sign-in at the dev provider (public client, PKCE, refresh token), over plain HTTP. */
async function nativeSignIn(
  dev: DevProvider,
): Promise<{ provider: GenericOIDCProvider; tokens: OAuthTokenSet }> {
  const provider = new GenericOIDCProvider({
    clientId: dev.clientId,
    issuerUrl: dev.issuer,
    scopes: ['openid', 'profile', 'offline_access'],
  });
  const redirectUri = 'http://127.0.0.1:9/callback';
  const state = client.randomState();
  const nonce = client.randomNonce();
  const verifier = client.randomPKCECodeVerifier();
  const url = await provider.buildAuthorizeUrl({
    redirectUri,
    state,
    nonce,
    codeChallenge: await client.calculatePKCECodeChallenge(verifier),
  });
  const callback = await signInOverHttp(url.href, redirectUri, 'ada');
  const tokens = await provider.exchangeCode({
    callbackUrl: new URL(callback),
    redirectUri,
    expectedState: state,
    expectedNonce: nonce,
    codeVerifier: verifier,
  });
  assert.ok(tokens.refreshToken, 'a refresh token was issued');
  return { provider, tokens };
}

/**
 * The most refreshes the rule allows in `elapsedMs` for tokens living `lifetimeSeconds`: one per
 * half lifetime (never more often than MIN_REFRESH_DELAY_MS), plus one for a set that was
 * already due at the start and one for rounding to whole seconds.
 */
function refreshBound(elapsedMs: number, lifetimeSeconds: number): number {
  const interval = Math.max((lifetimeSeconds * 1000) / 2, MIN_REFRESH_DELAY_MS);
  return Math.floor(elapsedMs / interval) + 2;
}

describe('2-second access tokens', () => {
  const dev = useDevProvider({ accessTokenTtl: 2 });

  it('SLT-01 SessionManager, default 60 s buffer, background refresh on and a caller asking every 20 ms: a bounded number of refresh grants, and the caller always gets a token', async (t) => {
    const { provider, tokens } = await nativeSignIn(dev());
    const session = new SessionManager({ provider, tokenStore: new MemoryTokenStore() });
    const grantsBefore = dev().tokenRequests.refresh_token;
    const started = Date.now();
    const handed = new Set<string>();
    try {
      await session.saveTokens(tokens);
      while (Date.now() - started < 5000) {
        handed.add(await session.getAccessToken());
        await sleep(20);
      }
    } finally {
      session.dispose();
    }
    const elapsed = Date.now() - started;
    await sleep(300); // a refresh the timer started at the very end lands in the count too
    const grants = dev().tokenRequests.refresh_token - grantsBefore;
    const bound = refreshBound(elapsed + 300, 2);
    t.diagnostic(`${grants} refresh grants in ${elapsed} ms (bound ${bound})`);
    assert.ok(
      grants <= bound,
      `${grants} refresh grants in ${elapsed} ms; the rule allows ${bound}`,
    );
    assert.ok(grants >= 2, `the 2-second tokens were kept fresh (${grants} refreshes)`);
    assert.ok(handed.size >= 2, 'the caller got the refreshed tokens');
  });

  it('SLT-04 authflow/client with 2-second tokens and its default 60 s buffer: a bounded number of /auth/refresh calls and refresh grants', async (t) => {
    const auth = makeApp(dev());
    const browser = new Browser();
    await browser.signIn(auth, 'alice');
    let calls = 0;
    const grantsBefore = dev().tokenRequests.refresh_token;
    const authClient = createAuthClient({
      eventTarget: new EventTarget(),
      fetch: (input, init) => {
        const method = init?.method ?? 'GET';
        if (method === 'POST' && String(input).endsWith('/refresh')) calls++;
        return browser.call(
          auth,
          String(input),
          method === 'POST' ? { method, headers: { origin: browser.baseUrl } } : { method },
        );
      },
    });
    const started = Date.now();
    try {
      assert.equal(await authClient.isAuthenticated(), true);
      await sleep(5000);
    } finally {
      authClient.dispose();
      await auth.close();
    }
    const elapsed = Date.now() - started;
    const grants = dev().tokenRequests.refresh_token - grantsBefore;
    const bound = refreshBound(elapsed, 2);
    t.diagnostic(`${calls} calls, ${grants} refresh grants in ${elapsed} ms (bound ${bound})`);
    assert.ok(calls <= bound, `${calls} calls to /auth/refresh in ${elapsed} ms; allowed ${bound}`);
    assert.ok(grants <= calls, `${grants} refresh grants for ${calls} calls`);
    assert.ok(grants >= 1, 'the client kept the session fresh');
  });
});

describe('30-second access tokens', () => {
  const dev = useDevProvider({ accessTokenTtl: 30 });
  const redis = useRedis();

  it('SLT-02 SessionManager, default 60 s buffer: no refresh at all in the first 3 seconds (it made ~600), then exactly one once the set is due', async () => {
    const { provider, tokens } = await nativeSignIn(dev());
    const store = new MemoryTokenStore();
    const session = new SessionManager({ provider, tokenStore: store });
    const grantsBefore = dev().tokenRequests.refresh_token;
    const started = Date.now();
    try {
      await session.saveTokens(tokens);
      while (Date.now() - started < 3000) {
        assert.equal(await session.getAccessToken(), tokens.accessToken);
        await sleep(20);
      }
      assert.equal(
        dev().tokenRequests.refresh_token - grantsBefore,
        0,
        'a 30-second token is due only in the second half of its life (after 15 s)',
      );
      // In its second half: one refresh, however many callers, and not another after it.
      await session.saveTokens(halfLived(tokens));
      const handed = await Promise.all(Array.from({ length: 10 }, () => session.getAccessToken()));
      for (let i = 0; i < 10; i++) handed.push(await session.getAccessToken());
      assert.equal(new Set(handed).size, 1);
      assert.notEqual(handed[0], tokens.accessToken);
      assert.equal(dev().tokenRequests.refresh_token - grantsBefore, 1);
    } finally {
      session.dispose();
    }
  });

  describe('deploy mode, two workers on one redis-server', () => {
    const reader = useRedisAdmin(redis);
    const closeAfterTests = useAppCloser();

    it('SLT-03 fifty /auth/refresh calls spread over two workers, some arriving after the first refresh is done: ONE refresh grant, one result for all', async () => {
      const keyPrefix = 'slt03:';
      const [one, two] = [0, 1].map(() => {
        const app = makeApp(dev(), { redis: redis().url, keyPrefix });
        closeAfterTests(app);
        return app;
      }) as [AuthApp, AuthApp];
      const browser = new Browser();
      const { response } = await browser.signIn(one, 'alice');
      assert.equal(response.status, 302);
      const store = new RedisTokenStore({ client: reader(), keyPrefix });
      const [sessionId] = await store.listKeys();
      const due = await makeDue(store, sessionId as string);
      const grantsBefore = dev().tokenRequests.refresh_token;
      // Staggered by 10 ms: the first refresh ends while later calls are still arriving.
      const answers = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          await sleep(i * 10);
          return browser.post(i % 2 === 0 ? one : two, '/auth/refresh');
        }),
      );
      assert.deepEqual(
        answers.map((answer) => answer.status),
        Array(50).fill(200),
      );
      const bodies = (await Promise.all(answers.map((answer) => answer.json()))) as {
        expiresAt: number;
      }[];
      assert.equal(dev().tokenRequests.refresh_token - grantsBefore, 1, 'one refresh grant');
      const stored = await store.load(sessionId as string);
      assert.notEqual(stored?.accessToken, due.accessToken);
      assert.deepEqual(new Set(bodies.map((body) => body.expiresAt)), new Set([stored?.expiresAt]));
      // A client calling again and again while the set is fresh changes nothing either.
      for (let i = 0; i < 10; i++) {
        assert.equal((await browser.post(i % 2 === 0 ? one : two, '/auth/refresh')).status, 200);
      }
      assert.equal(dev().tokenRequests.refresh_token - grantsBefore, 1);
    });

    it('SLT-03b the same with memory stores in one worker: repeated calls refresh once', async () => {
      const tokens = new MemoryTokenStore();
      const app = makeApp(dev(), { tokenStore: tokens });
      closeAfterTests(app);
      const browser = new Browser();
      await browser.signIn(app, 'alice');
      const [sessionId] = await tokens.listKeys();
      await makeDue(tokens, sessionId as string);
      const grantsBefore = dev().tokenRequests.refresh_token;
      for (let i = 0; i < 20; i++) {
        assert.equal((await browser.post(app, '/auth/refresh')).status, 200);
      }
      assert.equal(dev().tokenRequests.refresh_token - grantsBefore, 1);
    });
  });
});
