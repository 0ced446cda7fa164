import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TokenRefreshError } from '../../src/errors.js';
import { GitHubProvider } from '../../src/providers/github.js';
import { type FakeGitHub, type FakeGitHubOptions, startFakeGitHub } from './fakes/github.js';
import { callbackUrl, REDIRECT_URI, rejectsWith } from './helpers.js';

const clientId = 'Iv1.0123456789abcdef';
const clientSecret = 'github-secret';

/** The confidential client, with both of GitHub's origins pointed at the fake. */
const confidentialClient = (gh: FakeGitHub) =>
  new GitHubProvider({ clientId, clientSecret, webBaseUrl: gh.origin, apiBaseUrl: gh.origin });

describe('GitHubProvider against a fake playing GitHub', () => {
  let gh: FakeGitHub;
  let provider: GitHubProvider;
  before(async () => {
    gh = await startFakeGitHub({ clientId, clientSecret });
    provider = confidentialClient(gh);
  });
  after(() => gh.close());

  const exchange = (code: string) =>
    provider.exchangeCode({
      callbackUrl: callbackUrl({ code, state: 'st' }),
      redirectUri: REDIRECT_URI,
      expectedState: 'st',
      expectedNonce: 'ignored-for-oauth2',
      codeVerifier: 'v'.repeat(43),
    });

  it('is plain OAuth 2.0 with GitHub scopes; no nonce in the authorization URL', async () => {
    assert.equal(provider.name, 'github');
    assert.equal(provider.isOidc, false);
    assert.deepEqual(provider.scopes, ['read:user', 'user:email']);
    const url = await provider.buildAuthorizeUrl({
      redirectUri: REDIRECT_URI,
      state: 'st',
      nonce: 'nn',
      codeChallenge: 'cc',
    });
    assert.equal(`${url.origin}${url.pathname}`, `${gh.origin}/login/oauth/authorize`);
    assert.equal(url.searchParams.get('scope'), 'read:user user:email');
    assert.equal(url.searchParams.get('nonce'), null);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(gh.requests.length, 0, 'no request needed to build it');
  });

  it('exchanges a code: lower-case bearer and comma-separated scopes normalised', async () => {
    const tokens = await exchange(gh.issueCode());
    assert.equal(tokens.tokenType, 'Bearer');
    assert.match(tokens.accessToken, /^gho_/);
    assert.equal(tokens.scope, 'read:user user:email');
    assert.equal(tokens.idToken, undefined);
    const request = gh.requests.at(-1);
    const form = new URLSearchParams(request?.body);
    assert.equal(
      form.get('client_secret'),
      clientSecret,
      'client_secret_post, as GitHub documents',
    );
    assert.equal(request?.headers.accept, 'application/json');
  });

  it("turns GitHub's HTTP 200 error into exchange_failed with the provider error", async () => {
    const error = await rejectsWith(exchange('not-a-code'), {
      code: 'exchange_failed',
      providerError: 'bad_verification_code',
    });
    assert.equal(error.providerErrorDescription, 'The code passed is incorrect or expired.');
  });

  it("maps GitHub's bad_refresh_token to reauth_required", async () => {
    await rejectsWith(provider.refreshTokens('ghr_dead'), {
      class: TokenRefreshError,
      code: 'reauth_required',
      providerError: 'bad_refresh_token',
    });
  });

  it('fills a private email from /user/emails (primary and verified)', async () => {
    const tokens = await exchange(gh.issueCode());
    const mark = gh.requests.length;
    const user = await provider.getUserInfo(tokens);
    assert.equal(user.login, 'octocat');
    assert.equal(user.id, 583231);
    assert.equal(user.email, 'octocat@github.com');
    const [profile, emails] = gh.requests.slice(mark);
    assert.equal(profile?.path, '/user');
    assert.equal(emails?.path, '/user/emails');
    for (const request of [profile, emails]) {
      assert.equal(request?.headers.authorization, `Bearer ${tokens.accessToken}`);
      assert.equal(request?.headers.accept, 'application/vnd.github+json');
      assert.ok(request?.headers['user-agent'], 'GitHub requires a User-Agent');
      assert.equal(request?.headers['x-github-api-version'], '2022-11-28');
    }
  });

  it('revokes with DELETE /applications/{client_id}/token, Basic auth and a JSON body', async () => {
    const tokens = await exchange(gh.issueCode());
    assert.equal(await provider.revokeToken(tokens.accessToken, 'access_token'), true);
    assert.equal(gh.isRevoked(tokens.accessToken), true);
    const request = gh.requests.at(-1);
    assert.equal(request?.method, 'DELETE');
    assert.equal(request?.path, `/applications/${clientId}/token`);
    assert.equal(
      request?.headers.authorization,
      `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    );
    assert.deepEqual(JSON.parse(request?.body ?? ''), { access_token: tokens.accessToken });
    await rejectsWith(provider.revokeToken('gho_unknown'), { code: 'provider_error' });
  });

  it('cannot revoke without a secret, nor a refresh token: resolves false, no request', async () => {
    const publicClient = new GitHubProvider({
      clientId,
      webBaseUrl: gh.origin,
      apiBaseUrl: gh.origin,
    });
    const mark = gh.requests.length;
    assert.equal(await publicClient.revokeToken('gho_x'), false);
    assert.equal(await provider.revokeToken('ghr_x', 'refresh_token'), false);
    assert.equal(gh.requests.length, mark);
  });

  it('runs the device flow through GitHub-style HTTP 200 authorization_pending', async () => {
    assert.equal(await provider.supportsDeviceFlow(), true);
    const device = await provider.startDeviceAuthorization();
    assert.equal(device.userCode, 'WDJB-MJHT');
    const tokens = await device.poll();
    assert.match(tokens.accessToken, /^gho_/);
  });
});

describe('GitHubProvider profile variants', () => {
  /** Runs `fn` with a fake GitHub (with `options`) and a confidential client for it, closed afterwards. */
  async function withGitHub(
    options: Partial<FakeGitHubOptions>,
    fn: (gh: FakeGitHub, provider: GitHubProvider) => Promise<void>,
  ): Promise<void> {
    const gh = await startFakeGitHub({ clientId, clientSecret, ...options });
    try {
      await fn(gh, confidentialClient(gh));
    } finally {
      await gh.close();
    }
  }

  /** Tokens from a code exchange at the fake. */
  const signIn = (gh: FakeGitHub, provider: GitHubProvider) =>
    provider.exchangeCode({
      callbackUrl: callbackUrl({ code: gh.issueCode(), state: 's' }),
      redirectUri: REDIRECT_URI,
      expectedState: 's',
    });

  it('keeps a public email and asks nothing more', async () => {
    await withGitHub({ userEmail: 'public@example.com' }, async (gh, provider) => {
      const user = await provider.getUserInfo(await signIn(gh, provider));
      assert.equal(user.email, 'public@example.com');
      assert.equal(gh.requests.filter((request) => request.path === '/user/emails').length, 0);
    });
  });

  it('leaves email null when /user/emails is not granted (404)', async () => {
    await withGitHub({ emailsStatus: 404 }, async (gh, provider) => {
      const user = await provider.getUserInfo(await signIn(gh, provider));
      assert.equal(user.email, null);
      assert.equal(user.login, 'octocat');
    });
  });

  it('rejects a revoked access token at /user as a TokenError', async () => {
    await withGitHub({}, async (_gh, provider) => {
      await rejectsWith(
        provider.getUserInfo({ accessToken: 'gho_revoked', tokenType: 'Bearer', issuedAt: 0 }),
        { code: 'token_error' },
      );
    });
  });
});
