/**
 * The interop scenarios, the same for every provider (issue 12): native sign-in through the
 * provider's page, refresh with rotation, a dead refresh token, revocation and logout for a
 * public and a confidential client, the device grant or a clear "not supported", deploy mode
 * end to end, and the CLI. `interopSuite()` defines them for one provider; the provider is
 * started before them and stopped after them, even when they fail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { Browser } from 'playwright-core';
import { createAuthApp } from '../../../src/deploy/index.js';
import { ConfigurationError, TokenRefreshError } from '../../../src/errors.js';
import { AuthFlowManager } from '../../../src/flow/auth-flow-manager.js';
import { serve } from '../../../src/node/index.js';
import { GenericOIDCProvider } from '../../../src/providers/oidc.js';
import { SessionManager } from '../../../src/session/session-manager.js';
import { MemoryTokenStore } from '../../../src/stores/memory.js';
import type { OAuthTokenSet } from '../../../src/tokens/token-set.js';
import {
  cliEnv,
  readTokenFile,
  runCli,
  startCli,
  tempConfigDir,
  waitForAuthorizeUrl,
} from '../../cli/harness.js';
import { launchBrowser, withPage } from '../../helpers/browser.js';
import { makeDue } from '../../helpers/token-age.js';
import type { InteropClient, InteropProvider } from './types.js';

/** What a native sign-in gave. */
interface SignedIn {
  provider: GenericOIDCProvider;
  tokens: OAuthTokenSet;
  userInfo: Record<string, unknown>;
  authorizeUrl: URL;
}

/** The provider object authflow users would build for this client. */
function providerFor(op: InteropProvider, client: InteropClient): GenericOIDCProvider {
  return new GenericOIDCProvider({
    issuerUrl: op.issuer,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    scopes: op.scopes,
  });
}

/** A native sign-in on the fixed loopback port, the user's part played by Chromium. */
async function signInNative(
  op: InteropProvider,
  browser: Browser,
  client: InteropClient,
): Promise<SignedIn> {
  const provider = providerFor(op, client);
  const manager = new AuthFlowManager({
    provider,
    authTimeout: 30,
    loopback: { port: op.nativePort },
  });
  let authorizeUrl: URL | undefined;
  let user: Promise<void> = Promise.resolve();
  const result = await manager.runNative({
    showWindow: (url) => {
      authorizeUrl = new URL(url);
      user = withPage(browser, (page) =>
        op.signIn(page, url, `http://127.0.0.1:${op.nativePort}/callback`),
      );
      user.catch(() => {});
      return 'interop-browser';
    },
  });
  await user;
  assert.ok(authorizeUrl);
  assert.equal(result.success, true);
  assert.ok(result.tokens);
  return {
    provider,
    tokens: result.tokens,
    userInfo: (result.userInfo ?? {}) as Record<string, unknown>,
    authorizeUrl,
  };
}

/**
 * Whether `next` is a new token set. Not only the access token: oauth2-mock-server's JWTs have
 * no `jti`, so two grants within the same second give the very same access token.
 * (Compared without assert.notEqual, which would print tokens.)
 */
function renewed(previous: OAuthTokenSet, next: OAuthTokenSet): boolean {
  return next.accessToken !== previous.accessToken || next.refreshToken !== previous.refreshToken;
}

/** Subjects seen per provider with an opaque `sub`: it must not change between sign-ins. */
const seenSubjects = new WeakMap<InteropProvider, string>();

/** Checks a `sub`: the known one, or for an opaque one, a non-empty string that never changes. */
function checkSubject(op: InteropProvider, sub: unknown): void {
  assert.equal(typeof sub, 'string');
  assert.ok((sub as string).length > 0);
  if (op.subject !== undefined) {
    assert.equal(sub, op.subject);
    return;
  }
  const seen = seenSubjects.get(op);
  if (seen === undefined) seenSubjects.set(op, sub as string);
  else assert.equal(sub, seen, 'the same user has the same sub');
}

/** Expects a refresh rejection with `reauth_required`. */
async function rejectsReauth(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TokenRefreshError, `expected TokenRefreshError, got ${error}`);
    assert.equal(error.code, 'reauth_required', error.message);
    return true;
  });
}

/** Defines the interop scenarios for one provider, started by `start` (and stopped after). */
export function interopSuite(name: string, start: () => Promise<InteropProvider>): void {
  // One provider's scenarios run in sequence (they share its fixed loopback port).
  describe(`interop: ${name}`, { timeout: 240_000 }, () => {
    let op: InteropProvider | undefined;
    let browser: Browser | undefined;
    before(async () => {
      op = await start();
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await op?.close();
    });
    const provider = () => op as InteropProvider;
    const chromium = () => browser as Browser;

    it('native sign-in with PKCE through its login page, on a fixed loopback port; ID token and userinfo sub checked', async () => {
      const signedIn = await signInNative(provider(), chromium(), provider().publicClient);
      const { authorizeUrl, tokens, userInfo } = signedIn;
      assert.equal(authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(
        authorizeUrl.searchParams.get('redirect_uri'),
        `http://127.0.0.1:${provider().nativePort}/callback`,
      );
      assert.ok(tokens.idToken, 'an ID token');
      // Its signature, iss, aud, nonce and times were checked by the provider layer; the
      // claims below are what the app relies on.
      const claims = decodeJwt(tokens.idToken);
      assert.equal(claims.iss, provider().issuer);
      assert.ok(
        claims.aud === provider().publicClient.clientId ||
          (Array.isArray(claims.aud) && claims.aud.includes(provider().publicClient.clientId)),
      );
      checkSubject(provider(), claims.sub);
      assert.equal(userInfo.sub, claims.sub);
      assert.ok(tokens.refreshToken, 'a refresh token');
    });

    it('exact redirect-URI matching: a loopback URI on another port is never redirected to', async (t) => {
      const op = provider();
      const oidc = providerFor(op, op.publicClient);
      const other = `http://127.0.0.1:${op.nativePort === 65535 ? 65534 : op.nativePort + 1}/callback`;
      const url = await oidc.buildAuthorizeUrl({
        redirectUri: other,
        state: 'exact-match-check',
        nonce: 'exact-match-check',
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      });
      const response = await fetch(url, { redirect: 'manual' });
      await response.body?.cancel();
      const location = response.headers.get('location') ?? '';
      const sentBack = location.startsWith(other);
      if (op.capabilities.exactRedirectUris) {
        // Hence `loopback: { port }` / `--port` with these providers (see docs/providers.md).
        assert.equal(sentBack, false, `${op.name} redirected to an unregistered URI`);
        // Refused outright (authlib 400, Glewlwyd 403), not sent to a login page first.
        assert.ok(response.status >= 400 && response.status < 500, `HTTP ${response.status}`);
      } else {
        t.diagnostic(`${op.name} accepts any redirect URI`);
        assert.equal(sentBack, true);
      }
    });

    it('refresh: new tokens, rotation where the provider rotates, one-use refresh tokens refused on reuse', async () => {
      const { provider: oidc, tokens } = await signInNative(
        provider(),
        chromium(),
        provider().publicClient,
      );
      const manager = new SessionManager({
        provider: oidc,
        tokenStore: new MemoryTokenStore(),
        backgroundRefresh: false,
      });
      try {
        await manager.saveTokens(tokens);
        const refreshed = await manager.refresh();
        assert.ok(renewed(tokens, refreshed), 'new tokens');
        assert.ok(refreshed.refreshToken);
        if (provider().capabilities.rotatesRefreshTokens) {
          assert.ok(refreshed.refreshToken !== tokens.refreshToken, 'rotated');
        }
        const info = await oidc.getUserInfo(refreshed);
        checkSubject(provider(), info.sub);
        // The new refresh token works again.
        const again = await manager.refresh();
        assert.ok(renewed(refreshed, again), 'new tokens again');
        if (provider().capabilities.oneUseRefreshTokens) {
          // Reuse of a spent refresh token is refused...
          await rejectsReauth(
            oidc.refreshTokens(tokens.refreshToken as string, { idToken: tokens.idToken }),
          );
          if (provider().capabilities.reuseRevokesChain) {
            // ...and taken as theft: the newest one is revoked too, the user signs in again.
            await rejectsReauth(manager.refresh());
          } else {
            assert.ok(renewed(again, await manager.refresh()), 'the newest one still works');
          }
        }
      } finally {
        manager.dispose();
      }
    });

    it('a dead (revoked) refresh token is reauth_required, and onReauthRequired is called once', async (t) => {
      const client = provider().capabilities.publicClientRevocation
        ? provider().publicClient
        : provider().confidentialClient;
      const { provider: oidc, tokens } = await signInNative(provider(), chromium(), client);
      const kill = provider().killRefreshToken;
      if (kill) {
        t.diagnostic(`${name} cannot revoke refresh tokens: its own hook kills this one`);
        kill.call(provider(), tokens.refreshToken as string);
      } else {
        assert.equal(await oidc.revokeToken(tokens.refreshToken as string, 'refresh_token'), true);
      }
      const reauth: TokenRefreshError[] = [];
      const manager = new SessionManager({
        provider: oidc,
        tokenStore: new MemoryTokenStore(),
        backgroundRefresh: false,
        onReauthRequired: (error) => reauth.push(error),
      });
      try {
        await manager.saveTokens(tokens);
        await rejectsReauth(manager.refresh());
        await rejectsReauth(manager.refresh());
        assert.equal(reauth.length, 1);
      } finally {
        manager.dispose();
      }
    });

    for (const kind of ['public', 'confidential'] as const) {
      it(`revocation and logout, ${kind} client: tokens revoked at the provider, then refused`, async () => {
        const client = kind === 'public' ? provider().publicClient : provider().confidentialClient;
        const { provider: oidc, tokens } = await signInNative(provider(), chromium(), client);
        const manager = new SessionManager({
          provider: oidc,
          tokenStore: new MemoryTokenStore(),
          backgroundRefresh: false,
        });
        try {
          await manager.saveTokens(tokens);
          const canRevoke =
            kind === 'confidential' || provider().capabilities.publicClientRevocation;
          if (!canRevoke) {
            // The provider refuses: a clear provider_error (not "try again later")...
            await assert.rejects(oidc.revokeToken(tokens.refreshToken as string, 'refresh_token'), {
              code: 'provider_error',
            });
          }
          const result = await manager.logout();
          // ...and logout still ends the local session, saying nothing was revoked.
          assert.deepEqual(
            [...result.revoked].sort(),
            canRevoke ? ['access_token', 'refresh_token'] : [],
          );
          assert.equal(result.deleted, true);
          assert.equal(await manager.getTokens(), undefined);
          if (canRevoke && provider().capabilities.enforcesRevocation) {
            await rejectsReauth(oidc.refreshTokens(tokens.refreshToken as string));
          }
          if (canRevoke && provider().capabilities.userinfoChecksRevocation) {
            await assert.rejects(oidc.getUserInfo(tokens), { code: 'token_error' });
          }
        } finally {
          manager.dispose();
        }
      });
    }

    it('device authorization grant, or a clear "not supported"', async () => {
      const oidc = providerFor(provider(), provider().publicClient);
      const supported = await oidc.supportsDeviceFlow();
      assert.equal(supported, provider().capabilities.deviceFlow);
      if (!supported) {
        await assert.rejects(oidc.startDeviceAuthorization(), (error: unknown) => {
          assert.ok(error instanceof ConfigurationError);
          assert.match(error.message, /does not support the device authorization grant/);
          return true;
        });
        return;
      }
      const approve = provider().approveDevice;
      assert.ok(approve, 'a provider with a device flow says how to approve it');
      const device = await oidc.startDeviceAuthorization();
      const [tokens] = await Promise.all([
        device.poll(),
        withPage(chromium(), (page) =>
          approve.call(provider(), page, device.verificationUri, device.userCode),
        ),
      ]);
      assert.ok(tokens.accessToken);
      checkSubject(provider(), (await oidc.getUserInfo(tokens)).sub);
    });

    it('deploy mode, confidential client: login -> callback -> session -> /auth/userinfo -> /auth/refresh -> /auth/logout', async (t) => {
      const op = provider();
      const oidc = providerFor(op, op.confidentialClient);
      const tokenStore = new RecordingTokenStore();
      const auth = createAuthApp({
        provider: oidc,
        secret: 'interop-suite-secret-interop-suite-secret',
        baseUrl: `http://127.0.0.1:${op.deployPort}`,
        tokenStore,
      });
      const running = await serve(
        { fetch: (request) => auth.fetch(request) },
        {
          port: op.deployPort,
          hostname: '127.0.0.1',
        },
      );
      t.after(async () => {
        await running.close();
        await auth.close();
      });
      await withPage(chromium(), async (page) => {
        await op.signIn(page, `${running.url}/auth/login`, `${running.url}/auth/callback`);
        await page.waitForURL((url) => url.origin === running.url && url.pathname === '/');
        const origin = { origin: running.url };
        const status = await (await page.request.get(`${running.url}/auth/status`)).json();
        assert.equal(status.authenticated, true);
        const userinfo = await page.request.get(`${running.url}/auth/userinfo`);
        assert.equal(userinfo.status(), 200);
        checkSubject(op, (await userinfo.json()).userInfo.sub);
        assert.ok(tokenStore.lastKey);
        // /auth/refresh refreshes only a set in the second half of its lifetime: age it.
        const first = await makeDue(tokenStore, tokenStore.lastKey);
        assert.ok(first.refreshToken);
        const refreshed = await page.request.post(`${running.url}/auth/refresh`, {
          headers: origin,
        });
        assert.equal(refreshed.status(), 200, await refreshed.text());
        const second = tokenStore.last;
        assert.ok(second && renewed(first, second), 'the tokens were refreshed');
        const logout = await page.request.post(`${running.url}/auth/logout`, { headers: origin });
        assert.equal(logout.status(), 200, await logout.text());
        const after = await (await page.request.get(`${running.url}/auth/status`)).json();
        assert.equal(after.authenticated, false);
        if (op.capabilities.enforcesRevocation && second?.refreshToken) {
          await rejectsReauth(oidc.refreshTokens(second.refreshToken));
        }
      });
    });

    it('CLI: login --provider oidc --issuer ... --no-browser --port, then token, status --json, logout', async (t) => {
      const op = provider();
      const dir = await tempConfigDir(t);
      const env = cliEnv(dir);
      const cli = startCli(
        t,
        [
          'login',
          '--provider',
          'oidc',
          '--issuer',
          op.issuer,
          '--client-id',
          op.publicClient.clientId,
          '--scopes',
          op.scopes.join(' '),
          '--no-browser',
          '--port',
          String(op.nativePort),
          '--store',
          'file',
        ],
        env,
      );
      const url = await waitForAuthorizeUrl(cli, op.issuer);
      assert.equal(
        new URL(url).searchParams.get('redirect_uri'),
        `http://127.0.0.1:${op.nativePort}/callback`,
      );
      await withPage(chromium(), (page) =>
        op.signIn(page, url, `http://127.0.0.1:${op.nativePort}/callback`),
      );
      const login = await cli.exit;
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stdout, /Signed in as /);

      const token = await runCli(['token'], env);
      assert.equal(token.code, 0, token.stderr);
      const stored = Object.values((await readTokenFile(dir)).tokens)[0] as
        | Record<string, unknown>
        | undefined;
      assert.equal(token.stdout.trim(), stored?.accessToken);

      const status = await runCli(['status', '--json'], env);
      assert.equal(status.code, 0, status.stderr);
      const parsed = JSON.parse(status.stdout);
      assert.equal(JSON.stringify(parsed).includes(String(stored?.accessToken)), false);
      checkSubject(op, parsed.userId);

      const logout = await runCli(['logout', '--json'], env);
      assert.equal(logout.code, 0, logout.stderr);
      const signedOut = JSON.parse(logout.stdout).signedOut as Array<{
        revoked: string[];
        deleted: boolean;
      }>;
      assert.equal(signedOut.length, 1);
      assert.equal(signedOut[0]?.deleted, true);
      assert.equal(
        signedOut[0]?.revoked.includes('refresh_token'),
        op.capabilities.publicClientRevocation,
        logout.stdout,
      );
      assert.equal((await runCli(['status'], env)).code, 1, 'signed out');
    });
  });
}

/** A memory token store that remembers the last set saved (to check the provider afterwards). */
class RecordingTokenStore extends MemoryTokenStore {
  last: OAuthTokenSet | undefined;
  lastKey: string | undefined;
  override async save(key: string, tokens: OAuthTokenSet): Promise<void> {
    this.last = tokens;
    this.lastKey = key;
    await super.save(key, tokens);
  }
}
