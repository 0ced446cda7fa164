/**
 * Issue 8 §3, deploy mode found broken from outside: cookie tossing and planted duplicates,
 * another browser's state consuming a pending login, rate limits without a client address or
 * across an IPv6 /64, the in-memory cap on pending logins, and admin by unverified email.
 * (The same-origin check with real forms: review-csrf-form.test.ts; linear-time parsers:
 * review-linear-parsers.test.ts.)
 *
 * Ids: R8-DEP-01a, R8-DEP-01b, R8-DEP-01c, R8-DEP-03a, R8-DEP-03b, R8-DEP-04a … R8-DEP-04c, R8-DEP-05.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { addressKey } from '../../src/deploy/client-ip.js';
import {
  createAuthApp,
  MemorySessionStore,
  RedisSessionStore,
  resolveRoles,
} from '../../src/deploy/index.js';
import { ConfigurationError } from '../../src/errors.js';
import { useRedis } from '../helpers/redis.js';
import {
  assertJsonError,
  BASE_URL,
  BINDING_COOKIE,
  callbackPath,
  DeployBrowser,
  type DeployRig,
  deployRig,
  hostileClient,
  SECRET,
  SESSION_COOKIE,
  signIn,
} from './support/deploy-rig.js';
import { useHostileProvider } from './support/hostile-fixture.js';

const hostile = useHostileProvider();
const HTTPS = 'https://app.example';

/** The browser's status with an explicit Cookie header (several values under one name). */
async function statusWith(rig: DeployRig, cookie: string): Promise<Record<string, unknown>> {
  const response = await rig.app.fetch(
    new Request(`${BASE_URL}/auth/status`, { headers: { cookie } }),
  );
  return (await response.json()) as Record<string, unknown>;
}

describe('cookie tossing and planted duplicates (issue 8)', () => {
  it('R8-DEP-01a on https the session cookie is __Host- by default; the plain name a sibling subdomain can set is ignored', async () => {
    const rig = deployRig(hostile(), { baseUrl: HTTPS });
    const user = new DeployBrowser('10.0.0.1', HTTPS);
    const authorizeUrl = await user.startLogin(rig.app);
    const response = await user.call(rig.app, callbackPath(rig.op, authorizeUrl));
    assert.equal(response.status, 302);
    assert.match(
      response.headers.getSetCookie().join('\n'),
      /^__Host-authflow_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=86400; Secure$/m,
    );
    const value = user.jar.cookies.get('__Host-authflow_session') as string;
    assert.equal((await user.status(rig.app)).userId, 'user-1');
    // A sibling subdomain (Domain=.app.example) can set only a name without the prefix: even
    // carrying a valid session of the attacker's, it is not read.
    const tossed = new DeployBrowser('10.0.0.2', HTTPS);
    tossed.jar.cookies.set(SESSION_COOKIE, value);
    assert.deepEqual(await tossed.status(rig.app), { authenticated: false });
    // An explicit name is kept, and __Host- names are still refused on http.
    const named = deployRig(hostile(), { baseUrl: HTTPS, cookieName: 'app_sid' });
    const other = new DeployBrowser('10.0.0.3', HTTPS);
    const url = await other.startLogin(named.app);
    const named302 = await other.call(named.app, callbackPath(named.op, url));
    assert.match(named302.headers.getSetCookie().join('\n'), /^app_sid=/m);
    assert.throws(
      () => deployRig(hostile(), { cookieName: '__Host-x' }),
      (error: unknown) => error instanceof ConfigurationError,
    );
  });

  it('R8-DEP-01b a planted duplicate never locks the user out: the cookie that verifies (and is live) is used', async () => {
    const rig = deployRig(hostile());
    const user = new DeployBrowser('10.0.0.1');
    await signIn(rig, user);
    const good = user.sessionCookie as string;
    const attacker = new DeployBrowser('10.6.6.6');
    await signIn(rig, attacker, { sub: 'mallory' });
    const planted = attacker.sessionCookie as string;
    const forged = `${'A'.repeat(43)}.${'B'.repeat(43)}`;
    for (const [label, cookie] of Object.entries({
      'garbage before it': `${SESSION_COOKIE}=garbage; ${SESSION_COOKIE}=${good}`,
      'garbage after it': `${SESSION_COOKIE}=${good}; ${SESSION_COOKIE}=garbage`,
      'a forged signature before it': `${SESSION_COOKIE}=${forged}; ${SESSION_COOKIE}=${good}`,
      'the same value twice': `${SESSION_COOKIE}=${good}; ${SESSION_COOKIE}=${good}`,
    })) {
      assert.equal((await statusWith(rig, cookie)).userId, 'user-1', label);
    }
    // The attacker's valid, live session planted next to the user's: never chosen over it.
    const both = `${SESSION_COOKIE}=${planted}; ${SESSION_COOKIE}=${good}`;
    assert.notEqual((await statusWith(rig, both)).userId, 'mallory');
    // Signing in again ends every session the browser carried (the planted one too), so the
    // planted cookie, still sent, no longer stands next to the new session.
    const victim = new DeployBrowser('10.0.0.4');
    const authorizeUrl = await victim.startLogin(rig.app);
    const binding = victim.bindingCookie as string;
    const callback = await victim.call(rig.app, callbackPath(rig.op, authorizeUrl, { sub: 'v' }), {
      headers: {
        cookie: `${SESSION_COOKIE}=${planted}; ${BINDING_COOKIE}=garbage; ${BINDING_COOKIE}=${binding}`,
      },
    });
    assert.equal(callback.status, 302, 'a planted binding cookie does not block the callback');
    const fresh = victim.sessionCookie as string;
    assert.equal(
      (await statusWith(rig, `${SESSION_COOKIE}=${planted}; ${SESSION_COOKIE}=${fresh}`)).userId,
      'v',
    );
    assert.deepEqual(await attacker.status(rig.app), { authenticated: false }, 'planted ended');
    // A planted valid binding cookie (the attacker's own) next to the user's: the callback
    // takes the pending login bound to the user's.
    const starter = new DeployBrowser('10.0.0.5');
    const url = await starter.startLogin(rig.app);
    const own = starter.bindingCookie as string;
    const otherBinding = new DeployBrowser('10.6.6.7');
    await otherBinding.startLogin(rig.app);
    const ok = await starter.call(rig.app, callbackPath(rig.op, url, { sub: 's' }), {
      headers: {
        cookie: `${BINDING_COOKIE}=${otherBinding.bindingCookie}; ${BINDING_COOKIE}=${own}`,
      },
    });
    assert.equal(ok.status, 302);
    assert.equal((await starter.status(rig.app)).userId, 's');
  });

  it("R8-DEP-01c signing out with a planted live session beside the user's ends both on the server", async () => {
    const rig = deployRig(hostile());
    const user = new DeployBrowser('10.0.0.1');
    await signIn(rig, user);
    const good = user.sessionCookie as string;
    const attacker = new DeployBrowser('10.6.6.6');
    await signIn(rig, attacker, { sub: 'mallory' });
    const planted = attacker.sessionCookie as string;
    const logout = await rig.app.fetch(
      new Request(`${BASE_URL}/auth/logout`, {
        method: 'POST',
        headers: {
          origin: BASE_URL,
          cookie: `${SESSION_COOKIE}=${planted}; ${SESSION_COOKIE}=${good}`,
        },
      }),
    );
    assert.equal(logout.status, 200);
    // The user's own session is gone on the server, not only its cookie in this browser.
    assert.deepEqual(await statusWith(rig, `${SESSION_COOKIE}=${good}`), { authenticated: false });
    assert.deepEqual(await statusWith(rig, `${SESSION_COOKIE}=${planted}`), {
      authenticated: false,
    });
  });
});

describe("another browser's state (issue 8)", () => {
  const redis = useRedis();

  /** The victim starts a login; the attacker sends the victim's state from its own browser. */
  async function assertStateNotConsumed(rig: DeployRig): Promise<void> {
    const victim = new DeployBrowser('10.0.0.1');
    const authorizeUrl = await victim.startLogin(rig.app);
    const victimCallback = callbackPath(rig.op, authorizeUrl, { sub: 'victim' });
    const attacker = new DeployBrowser('10.6.6.6');
    await attacker.startLogin(rig.app); // a valid binding cookie of its own
    for (const path of [
      `/auth/callback?state=${new URL(authorizeUrl).searchParams.get('state')}&error=access_denied`,
      victimCallback.replace(/code=[^&]+/, 'code=attacker-code'),
    ]) {
      await assertJsonError(await attacker.call(rig.app, path), 400, 'login_binding_failed');
    }
    const response = await victim.call(rig.app, victimCallback);
    assert.equal(response.status, 302, "the victim's sign-in was left in place");
    assert.equal((await victim.status(rig.app)).userId, 'victim');
  }

  it("R8-DEP-03a memory store: a callback with another browser's state leaves that browser's pending login", async () => {
    await assertStateNotConsumed(deployRig(hostile()));
  });

  it("R8-DEP-03b Redis store: the binding is checked and the login taken in one script; another browser's state leaves it", async () => {
    const client = new Redis(redis().url, { maxRetriesPerRequest: 1 });
    try {
      const op = hostile();
      const app = createAuthApp({
        provider: hostileClient(op),
        secret: SECRET,
        baseUrl: BASE_URL,
        redis: client,
        loginRateLimit: { max: 10_000, windowSeconds: 60 },
      });
      const rig = { op, app } as unknown as DeployRig;
      await assertStateNotConsumed(rig);
      // The store itself: a wrong hash leaves the login; of concurrent right takers one wins.
      const store = new RedisSessionStore({ client, keyPrefix: 'r8:' });
      await store.putPendingLogin({ state: 's1', bindingHash: 'right', createdAt: 1 }, 60);
      assert.equal(await store.takePendingLogin('s1', 'wrong'), 'unbound');
      const results = await Promise.all(
        Array.from({ length: 5 }, () => store.takePendingLogin('s1', 'right')),
      );
      assert.equal(results.filter((r) => typeof r === 'object').length, 1);
      assert.equal(await store.takePendingLogin('s1', 'right'), undefined);
      await client.set('r8:pending:bad', 'not json', 'EX', 60);
      assert.equal(await store.takePendingLogin('bad', 'right'), undefined);
      assert.equal(await client.exists('r8:pending:bad'), 0, 'a corrupt login is dropped');
    } finally {
      client.disconnect();
    }
  });
});

describe('login rate limits and the pending-login cap (issue 8)', () => {
  it('R8-DEP-04a without a client address one client cannot fill a shared bucket and lock everyone out', async () => {
    const rig = deployRig(hostile(), { loginRateLimit: { max: 3, windowSeconds: 60 } });
    // `auth.fetch(request)` with no env: Bun, Deno, workers, plain fetch handlers.
    const login = (cookie?: string) =>
      rig.app.fetch(new Request(`${BASE_URL}/auth/login`, { headers: cookie ? { cookie } : {} }));
    for (let i = 0; i < 20; i++) assert.equal((await login()).status, 302, `flood ${i}`);
    // Everyone else still signs in.
    const other = new DeployBrowser();
    const response = await other.call(
      { fetch: (request) => rig.app.fetch(request) },
      '/auth/login',
    );
    assert.equal(response.status, 302, 'another user is not locked out');
    // A browser that keeps its cookie is still counted on its own.
    const cookie = `${BINDING_COOKIE}=${other.bindingCookie}`;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await login(cookie)).status);
    assert.ok(statuses.includes(429), `the browser is limited: ${statuses}`);
    assert.equal(
      rig.reported.filter((e) => e instanceof ConfigurationError).length,
      1,
      'the app is told once that no address is known',
    );
  });

  it('R8-DEP-04b IPv6 clients are counted per /64; IPv4-mapped addresses as IPv4', async () => {
    const rig = deployRig(hostile(), { loginRateLimit: { max: 3, windowSeconds: 60 } });
    const from = async (remoteAddress: string) =>
      (await rig.app.fetch(new Request(`${BASE_URL}/auth/login`), { remoteAddress })).status;
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) statuses.push(await from(`2001:db8:1:2::${i.toString(16)}`));
    assert.deepEqual(statuses, [302, 302, 302, 429, 429, 429], 'one /64, one bucket');
    assert.equal(await from('2001:db8:1:2:ffff:ffff:ffff:ffff'), 429);
    assert.equal(await from('2001:db8:1:3::1'), 302, 'the next /64 is another client');
    assert.equal(addressKey('2001:DB8:1:2:0:0:0:1'), addressKey('2001:db8:1:2::abcd'));
    assert.equal(addressKey('[2001:db8:1:2::1%eth0]'), 'ip6:2001:db8:1:2::/64');
    assert.equal(addressKey('::ffff:192.0.2.7'), 'ip:192.0.2.7');
    assert.equal(addressKey('::ffff:c000:207'), 'ip:192.0.2.7');
    assert.equal(addressKey('192.0.2.7:51234'), 'ip:192.0.2.7');
    assert.equal(addressKey('[2001:db8:1:2::1]:51234'), 'ip6:2001:db8:1:2::/64');
    for (const bad of [
      '',
      'unknown',
      '1.2.3',
      '256.1.1.1',
      '1::2::3',
      'g::1',
      '1:2:3:4:5:6:7:8:9',
    ]) {
      assert.equal(addressKey(bad), undefined, bad);
    }
  });

  it("R8-DEP-04c the in-memory cap on pending logins never lets one client evict other users' sign-ins", async () => {
    const op = hostile();
    const app = createAuthApp({
      provider: hostileClient(op),
      secret: SECRET,
      baseUrl: BASE_URL,
      sessionStore: new MemorySessionStore({ maxPendingLogins: 20 }),
      loginRateLimit: { max: 10_000, windowSeconds: 60 },
    });
    const rig = { op, app } as unknown as DeployRig;
    const users = ['10.0.0.1', '2001:db8:9:9::1'].map((ip) => new DeployBrowser(ip));
    const started = await Promise.all(users.map((user) => user.startLogin(app)));
    // One client (addresses of one /64) starts far more logins than the cap.
    for (let i = 0; i < 100; i++) {
      await new DeployBrowser(`2001:db8:6:6::${i.toString(16)}`).startLogin(app);
    }
    for (const [i, user] of users.entries()) {
      const response = await user.call(app, callbackPath(rig.op, started[i] as URL));
      assert.equal(response.status, 302, `user ${i}'s sign-in survived the flood`);
    }
  });
});

describe('roles (issue 8)', () => {
  it('R8-DEP-05 adminUsers matches an email only when verified, also when the email is the user id', async () => {
    const options = { defaultRoles: ['viewer'], adminUsers: ['boss@example.com', 'octocat'] };
    const admin = async (userId: string, info: Record<string, unknown>) =>
      (await resolveRoles(userId, info, options)).includes('admin');
    // A provider without sub, id or login: the email became the user id.
    assert.equal(await admin('boss@example.com', { email: 'boss@example.com' }), false);
    assert.equal(
      await admin('boss@example.com', { email: 'boss@example.com', email_verified: false }),
      false,
    );
    assert.equal(
      await admin('boss@example.com', { email: 'boss@example.com', email_verified: 'true' }),
      false,
    );
    assert.equal(
      await admin('boss@example.com', { email: 'Boss@Example.com', email_verified: true }),
      true,
    );
    // An id of its own: the id matches as listed; the email only when verified.
    assert.equal(await admin('octocat', { login: 'octocat', email: 'x@example.com' }), true);
    assert.equal(await admin('u1', { sub: 'u1', email: 'boss@example.com' }), false);
    assert.equal(
      await admin('u1', { sub: 'u1', email: 'boss@example.com', email_verified: true }),
      true,
    );
  });
});
