import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigurationError } from '../../src/errors.js';
import { OAuth2Provider } from '../../src/providers/oauth2.js';
import { type HostileProvider, startHostileProvider } from '../helpers/hostile-provider.js';
import { exchange, REDIRECT_URI, rejectsWith } from './helpers.js';

describe('OAuth2Provider (explicit URLs, no ID token)', () => {
  let op: HostileProvider;
  before(async () => {
    op = await startHostileProvider({ clientSecret: 'sec' });
  });
  after(() => op.close());

  const make = (extra: Partial<ConstructorParameters<typeof OAuth2Provider>[0]> = {}) =>
    new OAuth2Provider({
      clientId: op.clientId,
      clientSecret: 'sec',
      authorizeUrl: `${op.origin}/authorize`,
      tokenUrl: `${op.origin}/token`,
      userinfoUrl: `${op.origin}/userinfo`,
      revocationUrl: `${op.origin}/revoke`,
      scopes: ['read', 'write'],
      ...extra,
    });

  it('needs no discovery and sends no nonce', async () => {
    const provider = make();
    assert.equal(provider.name, 'oauth2');
    assert.equal(provider.isOidc, false);
    const url = await provider.buildAuthorizeUrl({
      redirectUri: REDIRECT_URI,
      state: 's',
      nonce: 'n',
    });
    assert.equal(url.searchParams.get('scope'), 'read write');
    assert.equal(url.searchParams.get('nonce'), null);
    assert.equal(op.requestsTo('discovery').length, 0);
  });

  it('exchanges, reads a profile without sub, revokes', async () => {
    const provider = make();
    op.override('userinfo', () => ({ body: { id: 7, login: 'plain' } }));
    try {
      const tokens = await exchange(provider, op, { scope: 'read write' });
      assert.equal(tokens.idToken, undefined);
      assert.equal(tokens.scope, 'read write');
      assert.deepEqual(await provider.getUserInfo(tokens), { id: 7, login: 'plain' });
      assert.equal(await provider.revokeToken(tokens.accessToken), true);
      assert.equal(op.isRevoked(tokens.accessToken), true);
    } finally {
      op.override('userinfo', null);
    }
  });

  it('without userinfo or revocation URLs: {} and false', async () => {
    const provider = make({ userinfoUrl: undefined, revocationUrl: undefined });
    const tokens = await exchange(provider, op, { scope: 'read' });
    const before = op.requests.length;
    assert.deepEqual(await provider.getUserInfo(tokens), {});
    assert.equal(await provider.revokeToken(tokens.accessToken), false);
    assert.equal(op.requests.length, before);
    assert.equal(await provider.supportsDeviceFlow(), false);
  });

  it('maps userinfo failures: 401 is a TokenError, HTML a provider_unavailable', async () => {
    const provider = make();
    const tokens = await exchange(provider, op, { scope: 'read' });
    await rejectsWith(
      provider.getUserInfo({ ...tokens, accessToken: 'at-unknownunknownunknown' }),
      {
        code: 'token_error',
      },
    );
    op.override('userinfo', () => ({
      body: '<html></html>',
      headers: { 'content-type': 'text/html' },
    }));
    try {
      await rejectsWith(provider.getUserInfo(tokens), { code: 'provider_unavailable' });
    } finally {
      op.override('userinfo', null);
    }
  });

  it('validates its configuration', () => {
    assert.throws(() => make({ tokenUrl: 'ftp://example.com/token' }), ConfigurationError);
    assert.throws(() => make({ authorizeUrl: 'http://example.com/authorize' }), ConfigurationError);
    assert.throws(() => make({ clientId: '' }), ConfigurationError);
    assert.throws(
      () => make({ clientSecret: undefined, tokenEndpointAuthMethod: 'client_secret_basic' }),
      ConfigurationError,
    );
    assert.throws(() => make({ timeoutSeconds: 0 }), ConfigurationError);
    assert.throws(() => make({ scopes: ['two words'] }), ConfigurationError);
  });

  it('client_secret_post when asked', async () => {
    const provider = make({ tokenEndpointAuthMethod: 'client_secret_post' });
    await exchange(provider, op, { scope: 'read' });
    const request = op.requestsTo('token').at(-1);
    assert.equal(request?.form?.get('client_secret'), 'sec');
    assert.equal(request?.headers.authorization, undefined);
  });
});
