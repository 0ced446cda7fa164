/**
 * Issue 5, refresh in deploy mode (`POST /auth/refresh`), against the hostile provider, which
 * rotates refresh tokens (a used one is rejected with `invalid_grant`) and records every
 * refresh token it is sent. Multi-worker cases run two apps on one real Redis.
 *
 * Ids: RFD-01 … RFD-06.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AuthApp, createAuthApp, RedisTokenStore } from '../../src/deploy/index.js';
import { SessionManager } from '../../src/session/session-manager.js';
import { useAppCloser } from '../deploy/support/fixtures.js';
import type { HostileProvider, HostileReply } from '../helpers/hostile-provider.js';
import { useRedis, useRedisAdmin } from '../helpers/redis.js';
import { makeDue } from '../helpers/token-age.js';
import {
  assertJsonError,
  BASE_URL,
  CANARY,
  callbackPath,
  DeployBrowser,
  deployRig,
  hostileClient,
  SECRET,
  SESSION_COOKIE,
  signIn,
  storedTokens,
} from './support/deploy-rig.js';
import { useHostileProvider } from './support/hostile-fixture.js';
import {
  assertConsistent,
  bendRefresh,
  raceFirstRefresh,
  refreshTokensSent,
} from './support/refresh.js';

const hostile = useHostileProvider();
const redis = useRedis();

describe('deploy refresh (memory stores)', () => {
  it('RFD-01 invalid_grant forces a new login: exactly one refresh request, session and tokens ended, cookie cleared, no retry', async () => {
    const op = hostile();
    const rig = deployRig(op);
    const browser = new DeployBrowser();
    await signIn(rig, browser);
    await makeDue(rig.tokens, (await rig.tokens.listKeys())[0] as string);
    const cookie = browser.sessionCookie as string;
    bendRefresh(op, {
      status: 400,
      body: { error: 'invalid_grant', error_description: `revoked <b>${CANARY}</b>` },
    });
    const since = op.requests.length;
    const response = await browser.post(rig.app, '/auth/refresh');
    assert.match(
      response.headers.getSetCookie().join('\n'),
      new RegExp(`^${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`),
    );
    await assertJsonError(response, 401, 'reauth_required');
    assert.equal(browser.sessionCookie, undefined, 'cookie cleared');
    assert.deepEqual(await rig.tokens.listKeys(), [], 'the dead token set is gone');
    assert.deepEqual(await browser.status(rig.app), { authenticated: false });
    // The old cookie, replayed, reaches nothing: no second refresh, now or later.
    const again = await rig.app.fetch(
      new Request(`${BASE_URL}/auth/refresh`, {
        method: 'POST',
        headers: { origin: BASE_URL, cookie: `${SESSION_COOKIE}=${cookie}` },
      }),
    );
    await assertJsonError(again, 401, 'not_authenticated');
    await sleep(300);
    assert.equal(refreshTokensSent(op, since).length, 1, 'exactly one refresh request');
    assert.deepEqual(
      op.requests.slice(since).map((request) => request.route),
      ['token'],
      'nothing else was asked of the provider',
    );
  });

  it('RFD-02 invalid_grant because another worker just rotated: its token set is picked up, not wiped', async () => {
    const op = hostile();
    const rig = deployRig(op);
    const browser = new DeployBrowser();
    await signIn(rig, browser);
    const [sessionId] = await rig.tokens.listKeys();
    const stale = await makeDue(rig.tokens, sessionId as string);
    // Worker A: the app's own background job refreshing the same token set outside the
    // refresh route (a SessionManager over the same store, keyed by the session id).
    const workerA = new SessionManager({
      provider: hostileClient(op),
      tokenStore: rig.tokens,
      sessionKey: sessionId as string,
      backgroundRefresh: false,
    });
    // Worker B's request has left with the stale refresh token; A's rotation lands first.
    const raced = raceFirstRefresh(op, () => workerA.refresh());
    const since = op.requests.length;
    const response = await browser.post(rig.app, '/auth/refresh');
    const rotatedByA = raced();
    assert.ok(rotatedByA);
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.success, true);
    assert.equal(body.expiresAt, rotatedByA.expiresAt);
    assert.equal(response.headers.getSetCookie().length, 0, 'the cookie stays');
    assert.deepEqual(await rig.tokens.load(sessionId as string), rotatedByA, "A's set is kept");
    assert.equal((await browser.status(rig.app)).userId, 'user-1', 'still signed in');
    assert.deepEqual(rig.sessions.deleted, []);
    assert.deepEqual(
      refreshTokensSent(op, since),
      [stale?.refreshToken, stale?.refreshToken],
      "A's and B's requests, no retry by B",
    );
    // The next refresh sends A's new refresh token, never the stale one again.
    op.override('token', null);
    await makeDue(rig.tokens, sessionId as string);
    const mark2 = op.requests.length;
    assert.equal((await browser.post(rig.app, '/auth/refresh')).status, 200);
    assert.deepEqual(refreshTokensSent(op, mark2), [rotatedByA.refreshToken]);
  });

  it('RFD-05 malformed refresh responses (HTML, no access_token, negative expires_in, array, null) leave the token set untouched', async () => {
    const op = hostile();
    const rig = deployRig(op);
    const browser = new DeployBrowser();
    await signIn(rig, browser);
    await makeDue(rig.tokens, (await rig.tokens.listKeys())[0] as string);
    const before = await storedTokens(rig);
    const fresh = () => ({
      access_token: `at-${'n'.repeat(24)}`,
      token_type: 'Bearer',
      refresh_token: `rt-${'n'.repeat(24)}`,
    });
    const replies: Record<string, HostileReply> = {
      'HTML page': {
        headers: { 'content-type': 'text/html' },
        body: `<html><body>${CANARY}</body></html>`,
      },
      'no access_token': {
        body: { token_type: 'Bearer', refresh_token: `rt-${'n'.repeat(24)}`, expires_in: 3600 },
      },
      'negative expires_in': { body: { ...fresh(), expires_in: -3600 } },
      'top-level array': { body: [fresh()] },
      'top-level null': { body: null },
    };
    for (const [label, reply] of Object.entries(replies)) {
      bendRefresh(op, reply);
      const since = op.requests.length;
      const response = await browser.post(rig.app, '/auth/refresh');
      await assertJsonError(response, 502, 'refresh_failed');
      assert.equal(response.headers.getSetCookie().length, 0, label);
      assert.deepEqual(await storedTokens(rig), before, `${label}: untouched`);
      assert.equal(refreshTokensSent(op, since).length, 1, `${label}: one request, no retry`);
      assert.equal((await browser.status(rig.app)).userId, 'user-1', `${label}: still signed in`);
    }
    assert.equal(rig.tokens.saved.length, 2, 'only the sign-in (and makeDue) ever saved tokens');
    // The untouched set still works.
    op.override('token', null);
    assert.equal((await browser.post(rig.app, '/auth/refresh')).status, 200);
    assertConsistent(await storedTokens(rig), 'after a good refresh');
  });

  it('RFD-06 a refreshed ID token about another user is refused and the token set kept', async () => {
    const op = hostile();
    const rig = deployRig(op);
    const browser = new DeployBrowser();
    await signIn(rig, browser);
    await makeDue(rig.tokens, (await rig.tokens.listKeys())[0] as string);
    const before = await storedTokens(rig);
    const foreignIdToken = await op.signIdToken({}, { sub: 'mallory' });
    bendRefresh(op, {
      body: {
        access_token: `at-${'m'.repeat(24)}`,
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: `rt-${'m'.repeat(24)}`,
        id_token: foreignIdToken,
      },
    });
    const response = await browser.post(rig.app, '/auth/refresh');
    await assertJsonError(response, 502, 'refresh_failed');
    assert.deepEqual(await storedTokens(rig), before, "mallory's tokens never stored");
    assert.equal((await browser.status(rig.app)).userId, 'user-1');
  });
});

describe('deploy refresh across two workers (Redis)', () => {
  const reader = useRedisAdmin(redis);
  const closeAfterTests = useAppCloser();

  /** Two workers of one site: same secret, same Redis, same key prefix. */
  function workers(op: HostileProvider, keyPrefix: string): [AuthApp, AuthApp, RedisTokenStore] {
    const make = () =>
      createAuthApp({
        provider: hostileClient(op),
        secret: SECRET,
        baseUrl: BASE_URL,
        redis: redis().url,
        keyPrefix,
      });
    const pair: [AuthApp, AuthApp] = [make(), make()];
    for (const app of pair) closeAfterTests(app);
    return [...pair, new RedisTokenStore({ client: reader(), keyPrefix })];
  }

  async function signInAt(op: HostileProvider, app: AuthApp, browser: DeployBrowser) {
    const response = await browser.call(app, callbackPath(op, await browser.startLogin(app)));
    assert.equal(response.status, 302);
  }

  it('RFD-03 rotated refresh tokens are swapped atomically and the old one is never sent again', async () => {
    const op = hostile();
    const [one, two, store] = workers(op, 'rfd03:');
    const browser = new DeployBrowser();
    await signInAt(op, one, browser);
    const [sessionId] = await store.listKeys();
    const seen: string[] = [];
    // A reader polls the shared store all along: every set it sees is whole.
    let reading = true;
    const torn: unknown[] = [];
    const polling = (async () => {
      let reads = 0;
      while (reading) {
        try {
          assertConsistent(await store.load(sessionId as string), `read ${reads++}`);
        } catch (error) {
          torn.push(error);
        }
        await sleep(1);
      }
      return reads;
    })();
    try {
      for (const [round, worker] of [one, two, one, two].entries()) {
        const before = await makeDue(store, sessionId as string);
        seen.push(before?.refreshToken as string);
        const since = op.requests.length;
        const response = await browser.post(worker, '/auth/refresh');
        assert.equal(response.status, 200, `round ${round}`);
        assert.deepEqual(refreshTokensSent(op, since), [before?.refreshToken], `round ${round}`);
        const after = await store.load(sessionId as string);
        assert.notEqual(after?.refreshToken, before?.refreshToken, 'rotated');
        // Once rotated, an old value never appears in any later request to the provider.
        for (const old of seen.slice(0, -1)) {
          assert.ok(
            op.requests.slice(since).every((request) => !request.body.includes(old)),
            `round ${round}: an old refresh token was sent again`,
          );
        }
      }
    } finally {
      reading = false;
    }
    assert.ok((await polling) > 0);
    assert.deepEqual(torn, [], 'no torn or missing token set was ever read');
    // Logout revokes the newest tokens only.
    const since = op.requests.length;
    const last = await store.load(sessionId as string);
    assert.equal((await browser.post(two, '/auth/logout')).status, 200);
    const revoked = op.requests.slice(since).filter((request) => request.route === 'revocation');
    assert.deepEqual(
      revoked.map((request) => request.form?.get('token')).sort(),
      [last?.accessToken, last?.refreshToken].sort(),
    );
    for (const old of seen) {
      assert.ok(op.requests.slice(since).every((request) => !request.body.includes(old)));
    }
  });

  it('RFD-04 concurrent refreshes on two workers collapse to one provider request', async () => {
    const op = hostile();
    const [one, two, store] = workers(op, 'rfd04:');
    const browser = new DeployBrowser();
    await signInAt(op, one, browser);
    const [sessionId] = await store.listKeys();
    const before = await makeDue(store, sessionId as string);
    // A slow provider, so that every request arrives while the first refresh is in flight.
    op.override('token', async () => {
      await sleep(300);
      return undefined;
    });
    const since = op.requests.length;
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => browser.post(i % 2 === 0 ? one : two, '/auth/refresh')),
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array(10).fill(200),
    );
    const bodies = (await Promise.all(answers.map((answer) => answer.json()))) as {
      expiresAt: number;
    }[];
    assert.equal(new Set(bodies.map((body) => body.expiresAt)).size, 1, 'one result for all');
    assert.deepEqual(refreshTokensSent(op, since), [before?.refreshToken], 'one refresh request');
    const after = await store.load(sessionId as string);
    assertConsistent(after, 'after');
    assert.notEqual(after?.refreshToken, before?.refreshToken);
    assert.equal((await browser.status(two)).userId, 'user-1');
  });
});
