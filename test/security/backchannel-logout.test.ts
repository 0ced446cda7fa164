// POST /auth/backchannel-logout against hostile logout tokens, over real HTTP: tokens signed by
// a scriptable provider's published key (so that each check is reached on its own) or forged.
// Every refused token answers 400 and ends nothing; a valid one ends exactly the sessions it
// names, once, on every worker (memory, and two workers on one real redis-server).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { type AuthApp, createAuthApp } from '../../src/deploy/index.js';
import { type RunningServer, serve } from '../../src/node/index.js';
import type { GrantSpec, HostileProvider, IdTokenSpec } from '../helpers/hostile-provider.js';
import { useRedis } from '../helpers/redis.js';
import {
  assertJsonError,
  BASE_URL,
  DeployBrowser,
  type DeployRig,
  deployRig,
  hostileClient,
  SECRET,
  signIn,
} from './support/deploy-rig.js';
import { useHostileProvider } from './support/hostile-fixture.js';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** A logout token for `user-1` / `op-sid-1`, bent by `claims` (undefined removes one) and `spec`. */
function logoutToken(
  op: HostileProvider,
  claims: Record<string, unknown> = {},
  spec: IdTokenSpec = {},
): Promise<string> {
  return op.signIdToken(
    {
      header: { typ: 'logout+jwt' },
      ...spec,
      claims: {
        jti: randomUUID(),
        events: { [EVENT]: {} },
        sid: 'op-sid-1',
        auth_time: undefined,
        ...claims,
      },
    },
    { sub: 'user-1' },
  );
}

/** A sign-in whose ID token carries the provider session `sid`. */
function grant(sub: string, sid: string): GrantSpec {
  return { sub, idToken: { claims: { sid } } };
}

async function postLogout(
  server: RunningServer,
  body: string,
  type = 'application/x-www-form-urlencoded',
) {
  return fetch(`${server.url}/auth/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  });
}

const form = (token: string) => new URLSearchParams({ logout_token: token }).toString();

async function signedIn(app: AuthApp, browser: DeployBrowser): Promise<boolean> {
  return (await browser.status(app)).authenticated === true;
}

describe('back-channel logout: hostile logout tokens', () => {
  const op = useHostileProvider();
  const redis = useRedis();
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const served = async (app: AuthApp) => {
    const server = await serve(app);
    cleanups.push(() => server.close());
    return server;
  };

  it('in memory: refuses forged, foreign, stale, replayed and malformed tokens, ending nothing', async () => {
    const rig = deployRig(op());
    const server = await served(rig.app);
    const alice = new DeployBrowser('10.0.0.1');
    await signIn(rig, alice, grant('user-1', 'op-sid-1'));
    const now = Math.floor(Date.now() / 1000);

    const hostile: [string, Promise<string> | string][] = [
      ['bad signature (a key not in the JWKS)', logoutToken(op(), {}, { key: 'foreign' })],
      ['alg none', logoutToken(op(), {}, { alg: 'none' })],
      ['HS256 keyed with the client id', logoutToken(op(), {}, { alg: 'HS256' })],
      ['wrong audience', logoutToken(op(), { aud: 'someone-else' })],
      ['wrong issuer', logoutToken(op(), { iss: 'https://evil.example' })],
      ['missing events claim', logoutToken(op(), { events: undefined })],
      ['another event', logoutToken(op(), { events: { 'https://example.com/other': {} } })],
      ['event that is not an object', logoutToken(op(), { events: { [EVENT]: true } })],
      ['with a nonce', logoutToken(op(), { nonce: 'n-0123456789' })],
      ['issued an hour ago', logoutToken(op(), { iat: now - 3600, exp: now + 300 })],
      ['without iat', logoutToken(op(), { iat: undefined })],
      ['without jti', logoutToken(op(), { jti: undefined })],
      ['neither sid nor sub', logoutToken(op(), { sid: undefined, sub: undefined })],
      ['an access-token type', logoutToken(op(), {}, { header: { typ: 'at+jwt' } })],
      ['an ID token', op().signIdToken({ claims: { sid: 'op-sid-1' } }, { sub: 'user-1' })],
      ['not a JWT', 'not-a-jwt'],
    ];
    for (const [name, token] of hostile) {
      const answer = await postLogout(server, form(await token));
      const body = await assertJsonError(answer, 400, 'invalid_request');
      assert.equal(body.errorDescription, 'The logout token is not valid.', name);
      assert.equal(await signedIn(rig.app, alice), true, `${name}: nothing ended`);
    }
    const valid = await logoutToken(op());
    for (const [name, body, type] of [
      ['JSON body', JSON.stringify({ logout_token: valid }), 'application/json'],
      ['two tokens', `${form(valid)}&${form(valid)}`, undefined],
      ['no token', 'logout_token=', undefined],
      ['oversized body', `${form(valid)}&pad=${'a'.repeat(40_000)}`, undefined],
    ] as const) {
      await assertJsonError(await postLogout(server, body, type), 400, 'invalid_request');
      assert.equal(await signedIn(rig.app, alice), true, `${name}: nothing ended`);
    }
    assert.equal((await fetch(`${server.url}/auth/backchannel-logout`)).status, 405);

    // The valid token ends the session it names, once.
    const bob = new DeployBrowser('10.0.0.2');
    await signIn(rig, bob, grant('user-2', 'op-sid-2'));
    const ok = await postLogout(server, form(valid));
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    assert.equal(await signedIn(rig.app, alice), false, 'the named session ended');
    assert.equal(await signedIn(rig.app, bob), true, 'another user’s session did not');
    const again = new DeployBrowser('10.0.0.3');
    await signIn(rig, again, grant('user-1', 'op-sid-1'));
    const replay = await assertJsonError(await postLogout(server, form(valid)), 400);
    assert.equal(replay.errorDescription, 'This logout token was already used.');
    assert.equal(await signedIn(rig.app, again), true, 'a replayed token ends nothing');

    // sid and sub must name the same session: a mismatch ends nothing.
    const mismatch = await postLogout(
      server,
      form(await logoutToken(op(), { sid: 'op-sid-2', sub: 'user-1' })),
    );
    assert.equal(mismatch.status, 200);
    assert.equal(await signedIn(rig.app, bob), true);
    // sub alone ends every session of that user.
    const subOnly = await postLogout(server, form(await logoutToken(op(), { sid: undefined })));
    assert.equal(subOnly.status, 200);
    assert.equal(await signedIn(rig.app, again), false);
    assert.equal(await signedIn(rig.app, bob), true);
    for (const error of rig.reported) {
      assert.doesNotMatch(String((error as Error).message), /eyJ[A-Za-z0-9_-]{10,}/);
    }
  });

  it('two workers on one Redis: a token ends the session on both, and is used once across them', async () => {
    const apps = [0, 1].map(() =>
      createAuthApp({
        provider: hostileClient(op()),
        secret: SECRET,
        baseUrl: BASE_URL,
        redis: redis().url,
        keyPrefix: 'bclh:',
        loginRateLimit: { max: 10_000, windowSeconds: 60 },
      }),
    );
    cleanups.push(async () => {
      await Promise.all(apps.map((app) => app.close()));
    });
    const [one, two] = apps as [AuthApp, AuthApp];
    const servers = [await served(one), await served(two)] as const;
    const rig = { op: op(), app: one } as DeployRig;
    const alice = new DeployBrowser('10.0.0.1');
    const bob = new DeployBrowser('10.0.0.2');
    await signIn(rig, alice, grant('user-1', 'op-sid-1'));
    await signIn(rig, bob, grant('user-2', 'op-sid-2'));
    assert.equal(await signedIn(two, alice), true);

    await assertJsonError(
      await postLogout(servers[1], form(await logoutToken(op(), { aud: 'someone-else' }))),
      400,
    );
    assert.equal(await signedIn(two, alice), true, 'a hostile token ends nothing');

    const token = await logoutToken(op());
    assert.equal((await postLogout(servers[1], form(token))).status, 200);
    assert.equal(await signedIn(one, alice), false);
    assert.equal(await signedIn(two, alice), false);
    assert.equal(await signedIn(one, bob), true);

    const again = new DeployBrowser('10.0.0.3');
    await signIn(rig, again, grant('user-1', 'op-sid-1'));
    await assertJsonError(await postLogout(servers[0], form(token)), 400);
    assert.equal(await signedIn(two, again), true, 'replayed on the other worker: refused');
  });
});
