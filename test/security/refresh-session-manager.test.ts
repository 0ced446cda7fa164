/**
 * Issue 5, refresh in the core: SessionManager (src/session/session-manager.ts) against the
 * hostile provider, which rotates refresh tokens (a used one is rejected with `invalid_grant`)
 * and records every refresh token it is sent. "Another process" is a second SessionManager
 * over its own FileTokenStore instance on the same file.
 *
 * Ids: RFS-01 … RFS-05.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as client from 'openid-client';
import { TokenRefreshError } from '../../src/errors.js';
import type { GenericOIDCProvider } from '../../src/providers/oidc.js';
import { SessionManager } from '../../src/session/session-manager.js';
import { FileTokenStore } from '../../src/stores/file.js';
import { MemoryTokenStore } from '../../src/stores/memory.js';
import type { TokenStore } from '../../src/stores/types.js';
import type { OAuthTokenSet } from '../../src/tokens/token-set.js';
import type { HostileProvider, HostileReply } from '../helpers/hostile-provider.js';
import { CANARY, hostileClient } from './support/deploy-rig.js';
import { useHostileProvider } from './support/hostile-fixture.js';
import {
  assertConsistent,
  bendRefresh,
  raceFirstRefresh,
  refreshTokensSent,
} from './support/refresh.js';

const hostile = useHostileProvider();

/** A real sign-in's token set (code exchange with state, nonce and PKCE), made already expired. */
async function signedIn(
  op: HostileProvider,
  provider: GenericOIDCProvider,
): Promise<OAuthTokenSet> {
  const state = client.randomState();
  const nonce = client.randomNonce();
  const verifier = client.randomPKCECodeVerifier();
  const redirectUri = 'http://127.0.0.1:9/callback';
  const code = op.issueCode({
    nonce,
    codeChallenge: await client.calculatePKCECodeChallenge(verifier),
  });
  const tokens = await provider.exchangeCode({
    callbackUrl: new URL(`${redirectUri}?code=${code}&state=${state}`),
    redirectUri,
    expectedState: state,
    expectedNonce: nonce,
    codeVerifier: verifier,
  });
  // Expired a while ago: the next getAccessToken() must refresh.
  return { ...tokens, expiresAt: tokens.issuedAt - 10 };
}

function manager(
  op: HostileProvider,
  store: TokenStore,
  options: Partial<ConstructorParameters<typeof SessionManager>[0]> = {},
): SessionManager {
  return new SessionManager({
    provider: hostileClient(op),
    tokenStore: store,
    backgroundRefresh: false,
    ...options,
  });
}

async function fileStores(t: TestContext): Promise<[FileTokenStore, FileTokenStore]> {
  const dir = await mkdtemp(join(tmpdir(), 'authflow-rfs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'tokens.json');
  return [new FileTokenStore({ path }), new FileTokenStore({ path })];
}

function isReauth(error: unknown): boolean {
  return error instanceof TokenRefreshError && error.code === 'reauth_required';
}

describe('SessionManager refresh against a hostile provider', () => {
  /** A manager whose (expired) token set's refresh token the provider rejects with invalid_grant. */
  async function rejectedSetup(backgroundRefresh: boolean) {
    const op = hostile();
    const store = new MemoryTokenStore();
    const reauth: TokenRefreshError[] = [];
    const session = manager(op, store, {
      backgroundRefresh,
      onReauthRequired: (error) => reauth.push(error),
    });
    const tokens = await signedIn(op, hostileClient(op));
    bendRefresh(op, { status: 400, body: { error: 'invalid_grant', error_description: CANARY } });
    return { op, store, reauth, session, tokens, since: op.requests.length };
  }

  it('RFS-01 invalid_grant: reauth_required, the hook called once, exactly one refresh request, no background retry, nothing deleted', async () => {
    const { op, store, reauth, session, tokens, since } = await rejectedSetup(true);
    try {
      // The background refresh fires at once (the token is expired) and is refused.
      await session.saveTokens(tokens);
      // (Timers wait at least MIN_REFRESH_DELAY_MS, 1 s.)
      for (let i = 0; i < 500 && reauth.length === 0; i++) await sleep(10);
      assert.equal(reauth.length, 1, 'onReauthRequired called');
      assert.ok(reauth[0] instanceof TokenRefreshError);
      assert.equal(reauth[0].code, 'reauth_required');
      assert.ok(!reauth[0].message.includes(tokens.refreshToken as string));
      await sleep(400);
      assert.equal(refreshTokensSent(op, since).length, 1, 'no background retry');
      assert.equal(reauth.length, 1);
      // Nothing is deleted behind the app's back (another process may still rotate it).
      assert.deepEqual(await store.load('default'), tokens);
    } finally {
      session.dispose();
    }
  });

  it('RFS-01b invalid_grant: callers asking again are told to sign in without the dead refresh token being sent again', async () => {
    const { op, reauth, session, tokens, since } = await rejectedSetup(false);
    await session.saveTokens(tokens);
    for (let i = 0; i < 4; i++) {
      await assert.rejects(session.getAccessToken(), isReauth);
    }
    assert.equal(
      refreshTokensSent(op, since).length,
      1,
      'a rejected refresh token is sent once, not once per getAccessToken() call',
    );
    assert.equal(reauth.length, 1, 'onReauthRequired is called once per rejected token');
  });

  it('RFS-02 invalid_grant because another process just rotated: its token set is picked up, nothing wiped', async (t) => {
    const op = hostile();
    const [storeA, storeB] = await fileStores(t);
    const tokens = await signedIn(op, hostileClient(op));
    const reauth: unknown[] = [];
    const processA = manager(op, storeA);
    const processB = manager(op, storeB, { onReauthRequired: (error) => reauth.push(error) });
    await processA.saveTokens(tokens);
    assert.deepEqual(await processB.initialize(), tokens);

    // (a) A rotated before B looked: B uses A's set without asking the provider.
    const sinceA = op.requests.length;
    const rotated = await processA.refresh();
    assert.deepEqual(refreshTokensSent(op, sinceA), [tokens.refreshToken]);
    const sinceB = op.requests.length;
    // B's copy is expired; it re-reads the store before refreshing.
    assert.equal(await processB.getAccessToken(), rotated.accessToken);
    assert.deepEqual(refreshTokensSent(op, sinceB), [], 'B sent nothing');

    // (b) The race: B's request leaves with the refresh token A is rotating at that moment.
    const expired = { ...rotated, expiresAt: rotated.issuedAt - 10 };
    await processA.saveTokens(expired);
    await processB.initialize();
    const raced = raceFirstRefresh(op, () => processA.refresh());
    const since = op.requests.length;
    const token = await processB.getAccessToken();
    const rotatedByA = raced();
    assert.ok(rotatedByA);
    assert.equal(token, rotatedByA.accessToken, "B uses A's access token");
    assert.deepEqual(await storeB.load('default'), rotatedByA, "A's set is kept in the store");
    assert.deepEqual(reauth, [], 'no sign-in demanded');
    assert.deepEqual(
      refreshTokensSent(op, since),
      [expired.refreshToken, expired.refreshToken],
      "A's and B's requests, no retry by B",
    );
    // B's next refresh uses A's new refresh token.
    op.override('token', null);
    const next = op.requests.length;
    await processB.refresh();
    assert.deepEqual(refreshTokensSent(op, next), [rotatedByA.refreshToken]);
  });

  it('RFS-03 rotated refresh tokens are swapped atomically and the old one is never sent again', async (t) => {
    const op = hostile();
    const [store] = await fileStores(t);
    const session = manager(op, store);
    await session.saveTokens(await signedIn(op, hostileClient(op)));
    const used: string[] = [];
    for (let round = 0; round < 4; round++) {
      const before = (await store.load('default')) as OAuthTokenSet;
      used.push(before.refreshToken as string);
      const since = op.requests.length;
      const after = await session.refresh();
      assert.deepEqual(refreshTokensSent(op, since), [before.refreshToken], `round ${round}`);
      assert.notEqual(after.refreshToken, before.refreshToken, 'rotated');
      assert.deepEqual(await store.load('default'), after, 'saved before it is handed out');
      assertConsistent(after, `round ${round}`);
      for (const old of used.slice(0, -1)) {
        assert.ok(op.requests.slice(since).every((request) => !request.body.includes(old)));
      }
    }
    const since = op.requests.length;
    const last = (await store.load('default')) as OAuthTokenSet;
    assert.deepEqual((await session.logout()).revoked, ['refresh_token', 'access_token']);
    assert.deepEqual(
      op.requests
        .slice(since)
        .filter((request) => request.route === 'revocation')
        .map((request) => request.form?.get('token')),
      [last.refreshToken, last.accessToken],
    );
    for (const old of used) {
      assert.ok(op.requests.slice(since).every((request) => !request.body.includes(old)));
    }
  });

  it('RFS-04 concurrent refreshes collapse to one provider request', async () => {
    const op = hostile();
    const store = new MemoryTokenStore();
    const session = manager(op, store);
    const tokens = await signedIn(op, hostileClient(op));
    await session.saveTokens(tokens);
    op.override('token', async () => {
      await sleep(200);
      return undefined;
    });
    const since = op.requests.length;
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => session.getAccessToken()),
      ...Array.from({ length: 5 }, async () => (await session.refresh()).accessToken),
    ]);
    assert.equal(new Set(results).size, 1, 'everyone got the same new token');
    assert.notEqual(results[0], tokens.accessToken);
    assert.deepEqual(refreshTokensSent(op, since), [tokens.refreshToken], 'one request');
    assert.equal((await store.load('default'))?.accessToken, results[0]);
  });

  it('RFS-05 malformed refresh responses (HTML, no access_token, negative expires_in, array) leave the token set untouched', async () => {
    const op = hostile();
    const store = new MemoryTokenStore();
    const reauth: unknown[] = [];
    const session = manager(op, store, { onReauthRequired: (error) => reauth.push(error) });
    const tokens = await signedIn(op, hostileClient(op));
    await session.saveTokens(tokens);
    const fresh = {
      access_token: `at-${'n'.repeat(24)}`,
      token_type: 'Bearer',
      refresh_token: `rt-${'n'.repeat(24)}`,
    };
    const replies: Record<string, HostileReply> = {
      'HTML page': {
        headers: { 'content-type': 'text/html' },
        body: `<html><body>${CANARY}</body></html>`,
      },
      'no access_token': { body: { ...fresh, access_token: undefined, expires_in: 3600 } },
      'negative expires_in': { body: { ...fresh, expires_in: -3600 } },
      'top-level array': { body: [{ ...fresh, expires_in: 3600 }] },
    };
    for (const [label, reply] of Object.entries(replies)) {
      bendRefresh(op, reply);
      const since = op.requests.length;
      await assert.rejects(session.getAccessToken(), (error: unknown) => {
        assert.ok(error instanceof TokenRefreshError, label);
        assert.equal(error.code, 'refresh_failed', label);
        assert.ok(!error.message.includes(CANARY), label);
        return true;
      });
      assert.deepEqual(await store.load('default'), tokens, `${label}: store untouched`);
      assert.deepEqual(await session.getTokens(), tokens, `${label}: memory untouched`);
      assert.equal(refreshTokensSent(op, since).length, 1, `${label}: one request`);
    }
    assert.deepEqual(reauth, [], 'a malformed answer is not a reason to sign in again');
    // The untouched refresh token still works.
    op.override('token', null);
    assert.notEqual(await session.getAccessToken(), tokens.accessToken);
  });
});
