/**
 * GoogleProvider against a scripted provider that serves Google's documented discovery
 * document (issuer https://accounts.google.com and Google's endpoint URLs), reached through
 * a rewriting fetch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GoogleProvider } from '../../src/providers/google.js';
import {
  fetchVia,
  type HostileProvider,
  startHostileProvider,
} from '../helpers/hostile-provider.js';
import { exchange, REDIRECT_URI } from './helpers.js';

describe('GoogleProvider', () => {
  let op: HostileProvider;
  let provider: GoogleProvider;
  before(async () => {
    op = await startHostileProvider({
      publicOrigin: 'https://accounts.google.com',
      clientSecret: 'gsecret',
    });
    Object.assign(op.metadata, {
      authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
      token_endpoint: 'https://oauth2.googleapis.com/token',
      userinfo_endpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
      revocation_endpoint: 'https://oauth2.googleapis.com/revoke',
      jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs',
      device_authorization_endpoint: 'https://oauth2.googleapis.com/device/code',
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    });
    delete op.metadata.end_session_endpoint;
    provider = new GoogleProvider({
      clientId: op.clientId,
      clientSecret: 'gsecret',
      fetch: fetchVia(op.origin),
    });
  });
  after(() => op.close());

  it('asks for offline access with consent, so a refresh token comes', async () => {
    assert.equal(provider.name, 'google');
    assert.deepEqual(provider.scopes, ['openid', 'email', 'profile']);
    const url = await provider.buildAuthorizeUrl({
      redirectUri: REDIRECT_URI,
      state: 's',
      nonce: 'n',
    });
    assert.equal(`${url.origin}${url.pathname}`, 'https://accounts.google.com/o/oauth2/v2/auth');
    assert.equal(url.searchParams.get('access_type'), 'offline');
    assert.equal(url.searchParams.get('prompt'), 'consent');
    assert.equal(url.searchParams.get('scope'), 'openid email profile');
    assert.equal(url.searchParams.get('nonce'), 'n');
    const discovery = op.requestsTo('discovery').at(-1);
    assert.equal(discovery?.path, '/.well-known/openid-configuration');
  });

  it('lets the caller choose another prompt', async () => {
    const selecting = new GoogleProvider({
      clientId: op.clientId,
      fetch: fetchVia(op.origin),
      extraAuthorizeParams: { prompt: 'select_account' },
    });
    const url = await selecting.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 's' });
    assert.equal(url.searchParams.get('prompt'), 'select_account');
    assert.equal(url.searchParams.get('access_type'), 'offline');
  });

  it('exchanges, reads userinfo and revokes at Google’s endpoints', async () => {
    const tokens = await exchange(provider, op);
    assert.ok(tokens.refreshToken);
    assert.ok(tokens.idToken);
    const info = await provider.getUserInfo(tokens);
    assert.equal(info.sub, 'user-1');
    assert.equal(await provider.revokeToken(tokens.refreshToken as string, 'refresh_token'), true);
    assert.equal(op.isRevoked(tokens.refreshToken as string), true);
    assert.deepEqual(
      [
        op.requestsTo('token').length > 0,
        op.requestsTo('userinfo').at(-1)?.path,
        op.requestsTo('revocation').at(-1)?.path,
      ],
      [true, '/v1/userinfo', '/revoke'],
    );
    assert.equal(
      await provider.buildEndSessionUrl({}),
      undefined,
      'Google has no end-session endpoint',
    );
  });
});
