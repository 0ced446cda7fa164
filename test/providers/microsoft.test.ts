/**
 * MicrosoftProvider against a scripted provider playing the Microsoft identity platform's
 * documented multi-tenant behaviour: the `common` / `organizations` / `consumers` discovery
 * documents announce the issuer template `https://login.microsoftonline.com/{tenantid}/v2.0`,
 * and each ID token names its tenant in `tid` and in `iss`.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ConfigurationError } from '../../src/errors.js';
import { MICROSOFT_CONSUMERS_TENANT_ID, MicrosoftProvider } from '../../src/providers/microsoft.js';
import {
  fetchVia,
  type HostileProvider,
  startHostileProvider,
} from '../helpers/hostile-provider.js';
import { exchange, REDIRECT_URI, rejectsWith } from './helpers.js';

const AUTHORITY = 'https://login.microsoftonline.com';
const TENANT_A = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const TENANT_B = 'a1b2c3d4-0000-4000-8000-123456789abc';

const started: HostileProvider[] = [];
after(() => Promise.all(started.map((op) => op.close())));

/** A fake of the multi-tenant discovery at `${AUTHORITY}/${tenant}/v2.0`. */
async function entra(tenant: string): Promise<HostileProvider> {
  const op = await startHostileProvider({
    publicOrigin: AUTHORITY,
    issuerPath: `/${tenant}/v2.0`,
    issuer: `${AUTHORITY}/{tenantid}/v2.0`,
  });
  started.push(op);
  Object.assign(op.metadata, {
    authorization_endpoint: `${AUTHORITY}/${tenant}/oauth2/v2.0/authorize`,
    token_endpoint: `${AUTHORITY}/${tenant}/oauth2/v2.0/token`,
    jwks_uri: `${AUTHORITY}/${tenant}/discovery/v2.0/keys`,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    end_session_endpoint: `${AUTHORITY}/${tenant}/oauth2/v2.0/logout`,
    token_endpoint_auth_methods_supported: [
      'client_secret_post',
      'private_key_jwt',
      'client_secret_basic',
    ],
  });
  delete op.metadata.revocation_endpoint;
  delete op.metadata.introspection_endpoint;
  delete op.metadata.device_authorization_endpoint;
  return op;
}

const claimsFor = (tid: string | undefined, issTenant = tid) => ({
  iss: `${AUTHORITY}/${issTenant}/v2.0`,
  tid,
});

describe('MicrosoftProvider, multi-tenant (common)', () => {
  it('uses offline_access and the common authority', async () => {
    const op = await entra('common');
    const provider = new MicrosoftProvider({ clientId: op.clientId, fetch: fetchVia(op.origin) });
    assert.equal(provider.tenantId, 'common');
    assert.deepEqual(provider.scopes, ['openid', 'email', 'profile', 'offline_access']);
    assert.equal(provider.issuerUrl.href, `${AUTHORITY}/common/v2.0`);
    const url = await provider.buildAuthorizeUrl({
      redirectUri: REDIRECT_URI,
      state: 's',
      nonce: 'n',
    });
    assert.equal(url.href.startsWith(`${AUTHORITY}/common/oauth2/v2.0/authorize?`), true);
    assert.equal(url.searchParams.get('scope'), 'openid email profile offline_access');
    const custom = new MicrosoftProvider({ clientId: 'x', scopes: ['openid', 'User.Read'] });
    assert.deepEqual(custom.scopes, ['openid', 'User.Read', 'offline_access']);
  });

  it('accepts an ID token whose iss names the tenant in its tid; userinfo from Graph', async () => {
    const op = await entra('common');
    const provider = new MicrosoftProvider({ clientId: op.clientId, fetch: fetchVia(op.origin) });
    const tokens = await exchange(provider, op, { idToken: { claims: claimsFor(TENANT_A) } });
    assert.ok(tokens.idToken);
    const info = await provider.getUserInfo(tokens);
    assert.equal(info.sub, 'user-1');
    assert.equal(op.requestsTo('userinfo').at(-1)?.path, '/oidc/userinfo');
  });

  for (const [name, claims] of [
    ['iss naming another tenant than tid', claimsFor(TENANT_A, TENANT_B)],
    ['tid missing', claimsFor(undefined, TENANT_A)],
    ['the raw template as iss and tid', claimsFor('{tenantid}')],
    ['a tid that is not a tenant GUID', claimsFor('evil.example')],
    [
      'the template issuer of another cloud',
      { iss: `https://login.microsoftonline.us/${TENANT_A}/v2.0`, tid: TENANT_A },
    ],
  ] as const) {
    it(`rejects ${name}`, async () => {
      const op = await entra('common');
      const provider = new MicrosoftProvider({ clientId: op.clientId, fetch: fetchVia(op.origin) });
      await rejectsWith(exchange(provider, op, { idToken: { claims } }), {
        code: 'validation_failed',
      });
    });
  }

  it('validates refreshed ID tokens the same way', async () => {
    const op = await entra('common');
    const provider = new MicrosoftProvider({ clientId: op.clientId, fetch: fetchVia(op.origin) });
    const good = op.issueRefreshToken({ idToken: { claims: claimsFor(TENANT_A) } });
    assert.ok((await provider.refreshTokens(good)).idToken);
    const bad = op.issueRefreshToken({ idToken: { claims: claimsFor(TENANT_A, TENANT_B) } });
    await rejectsWith(provider.refreshTokens(bad), { code: 'refresh_failed' });
  });

  it('has no RFC 7009 revocation: revokeToken resolves false without a request', async () => {
    const op = await entra('common');
    const provider = new MicrosoftProvider({ clientId: op.clientId, fetch: fetchVia(op.origin) });
    const before = op.requests.length;
    assert.equal(await provider.revokeToken('anything', 'refresh_token'), false);
    assert.equal(op.requests.length, before);
  });
});

describe('MicrosoftProvider, account kinds', () => {
  it('consumers: only personal accounts', async () => {
    const op = await entra('consumers');
    const provider = new MicrosoftProvider({
      clientId: op.clientId,
      tenantId: 'consumers',
      fetch: fetchVia(op.origin),
    });
    assert.ok(
      (
        await exchange(provider, op, {
          idToken: { claims: claimsFor(MICROSOFT_CONSUMERS_TENANT_ID) },
        })
      ).idToken,
    );
    await rejectsWith(exchange(provider, op, { idToken: { claims: claimsFor(TENANT_A) } }), {
      code: 'validation_failed',
    });
  });

  it('organizations: no personal accounts', async () => {
    const op = await entra('organizations');
    const provider = new MicrosoftProvider({
      clientId: op.clientId,
      tenantId: 'organizations',
      fetch: fetchVia(op.origin),
    });
    assert.ok((await exchange(provider, op, { idToken: { claims: claimsFor(TENANT_B) } })).idToken);
    await rejectsWith(
      exchange(provider, op, { idToken: { claims: claimsFor(MICROSOFT_CONSUMERS_TENANT_ID) } }),
      { code: 'validation_failed' },
    );
  });
});

describe('MicrosoftProvider, single tenant', () => {
  it('validates the concrete issuer and the tid against the configured tenant', async () => {
    const op = await startHostileProvider({ issuerPath: `/${TENANT_A}/v2.0` });
    started.push(op);
    const provider = new MicrosoftProvider({
      clientId: op.clientId,
      tenantId: TENANT_A,
      authorityUrl: op.origin,
    });
    assert.equal(provider.issuerUrl.href, op.issuer);
    assert.ok((await exchange(provider, op, { idToken: { claims: { tid: TENANT_A } } })).idToken);
    await rejectsWith(exchange(provider, op, { idToken: { claims: { tid: TENANT_B } } }), {
      code: 'validation_failed',
    });
    await rejectsWith(
      exchange(provider, op, {
        idToken: { claims: { iss: `${op.origin}/${TENANT_B}/v2.0`, tid: TENANT_B } },
      }),
      { code: 'validation_failed' },
    );
  });

  it('refuses multi-tenant on another authority, and malformed tenant ids', () => {
    assert.throws(
      () =>
        new MicrosoftProvider({ clientId: 'x', authorityUrl: 'https://login.microsoftonline.us' }),
      ConfigurationError,
    );
    assert.throws(
      () => new MicrosoftProvider({ clientId: 'x', tenantId: '../evil' }),
      ConfigurationError,
    );
    assert.doesNotThrow(
      () =>
        new MicrosoftProvider({
          clientId: 'x',
          tenantId: TENANT_A,
          authorityUrl: 'https://login.microsoftonline.us',
        }),
    );
  });
});
