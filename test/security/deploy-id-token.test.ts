/**
 * Issue 5, deploy mode: a representative subset of the ID token, token endpoint and userinfo
 * cases (the full set runs against the provider layer in native-authorization-response.test.ts),
 * through `GET /auth/callback` with a genuine state and login binding. Each must answer a JSON
 * error that leaks nothing, create no session and no token set, set no session cookie, and stop
 * after the failing provider request.
 *
 * Ids: DIT-01 … DIT-08.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GrantSpec, HostileProvider } from '../helpers/hostile-provider.js';
import {
  assertJsonError,
  assertNothingPersisted,
  assertReportsClean,
  CANARY,
  callbackPath,
  DeployBrowser,
  deployRig,
  mark,
} from './support/deploy-rig.js';
import { useHostileProvider } from './support/hostile-fixture.js';

const hostile = useHostileProvider();

interface Case {
  id: string;
  title: string;
  grant?: GrantSpec;
  bend?: (op: HostileProvider) => void;
  status: number;
  error: string;
  userinfoRequests?: number;
}

const now = () => Math.floor(Date.now() / 1000);

const CASES: Case[] = [
  {
    id: 'DIT-01',
    title: 'bad signature (RS256 by a key not in the JWKS, under the published kid)',
    grant: { idToken: { key: 'foreign', kid: 'rsa-1' } },
    status: 400,
    error: 'validation_failed',
  },
  {
    id: 'DIT-02',
    title: 'wrong aud',
    grant: { idToken: { claims: { aud: 'someone-else' } } },
    status: 400,
    error: 'validation_failed',
  },
  {
    id: 'DIT-03',
    title: 'wrong nonce',
    grant: { nonce: 'attacker-nonce-0123456789abcdefghij' },
    status: 400,
    error: 'validation_failed',
  },
  {
    id: 'DIT-04',
    title: 'alg none (even when advertised)',
    grant: { idToken: { alg: 'none' } },
    bend: (op) => {
      op.metadata.id_token_signing_alg_values_supported = ['RS256', 'ES256', 'none'];
    },
    status: 400,
    error: 'validation_failed',
  },
  {
    id: 'DIT-05',
    title: 'an HTML token response',
    bend: (op) =>
      op.override('token', () => ({
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: `<!DOCTYPE html><html><body><h1>Sign in</h1><p>${CANARY}</p></body></html>`,
      })),
    status: 502,
    error: 'provider_unavailable',
  },
  {
    id: 'DIT-06',
    title: 'a token response without access_token',
    grant: { tokenResponse: { access_token: undefined } },
    status: 502,
    error: 'exchange_failed',
  },
  {
    id: 'DIT-07',
    title: "userinfo about another subject than the ID token's",
    grant: { userinfo: { sub: 'mallory', email: 'mallory@example.test' } },
    status: 400,
    error: 'validation_failed',
    userinfoRequests: 1,
  },
  {
    id: 'DIT-08',
    title: 'an expired ID token (beyond the clock skew)',
    grant: { idToken: { claims: { iat: now() - 900, exp: now() - 600 } } },
    status: 400,
    error: 'validation_failed',
  },
];

describe('deploy callback against a lying provider', () => {
  for (const testCase of CASES) {
    it(`${testCase.id} ${testCase.title}: ${testCase.status} ${testCase.error}, no session`, async () => {
      const op = hostile();
      testCase.bend?.(op);
      const rig = deployRig(op);
      const browser = new DeployBrowser();
      const authorizeUrl = await browser.startLogin(rig.app);
      const since = mark(rig);
      const response = await browser.call(rig.app, callbackPath(op, authorizeUrl, testCase.grant));
      await assertJsonError(response, testCase.status, testCase.error);
      assertNothingPersisted(rig, since, response, {
        tokenRequests: 1,
        userinfoRequests: testCase.userinfoRequests ?? 0,
      });
      assert.equal(browser.sessionCookie, undefined);
      assert.deepEqual(await browser.status(rig.app), { authenticated: false });
      assert.deepEqual(await rig.tokens.listKeys(), []);
      assert.ok(rig.reported.length > 0, 'reported to onError');
      assertReportsClean(rig);
    });
  }

  it('DIT-00 control: the same rig with an honest provider signs in', async () => {
    const op = hostile();
    const rig = deployRig(op);
    const browser = new DeployBrowser();
    const response = await browser.call(
      rig.app,
      callbackPath(op, await browser.startLogin(rig.app)),
    );
    assert.equal(response.status, 302);
    assert.equal((await browser.status(rig.app)).userId, 'user-1');
  });
});
