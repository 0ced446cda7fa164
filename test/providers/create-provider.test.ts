import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../../src/errors.js';
import { createProvider, parseScopes } from '../../src/providers/create.js';
import { GitHubProvider } from '../../src/providers/github.js';
import { GoogleProvider } from '../../src/providers/google.js';
import { MicrosoftProvider } from '../../src/providers/microsoft.js';
import { OAuth2Provider } from '../../src/providers/oauth2.js';
import { GenericOIDCProvider } from '../../src/providers/oidc.js';
import { readAuthflowEnv } from '../../src/providers/settings.js';

/** Asserts a ConfigurationError whose message contains every fragment. */
function throwsConfig(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(
      error instanceof ConfigurationError,
      `expected ConfigurationError, got ${String(error)}`,
    );
    assert.equal(error.code, 'invalid_configuration');
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), error.message);
    return true;
  });
}

describe('createProvider from the environment', () => {
  const base = { AUTHFLOW_CLIENT_ID: 'cid', AUTHFLOW_CLIENT_SECRET: 'sec' };

  it('builds each provider kind', () => {
    const google = createProvider(undefined, { ...base, AUTHFLOW_PROVIDER: 'google' });
    assert.ok(google instanceof GoogleProvider);
    assert.equal(google.clientId, 'cid');

    const github = createProvider(undefined, {
      ...base,
      AUTHFLOW_PROVIDER: 'github',
      AUTHFLOW_SCOPES: 'repo, read:user',
    });
    assert.ok(github instanceof GitHubProvider);
    assert.deepEqual(github.scopes, ['repo', 'read:user']);

    const microsoft = createProvider(undefined, {
      ...base,
      AUTHFLOW_PROVIDER: 'microsoft',
      AUTHFLOW_TENANT_ID: 'organizations',
    });
    assert.ok(microsoft instanceof MicrosoftProvider);
    assert.equal(microsoft.tenantId, 'organizations');

    const oidc = createProvider(undefined, {
      ...base,
      AUTHFLOW_PROVIDER: 'oidc',
      AUTHFLOW_ISSUER_URL: 'https://auth.example.com',
      AUTHFLOW_SCOPES: 'openid profile',
      AUTHFLOW_TOKEN_URL: 'https://auth.example.com/custom/token',
    });
    assert.ok(oidc instanceof GenericOIDCProvider);
    assert.equal(oidc.issuerUrl.href, 'https://auth.example.com/');
    assert.deepEqual(oidc.scopes, ['openid', 'profile']);

    const oauth2 = createProvider(undefined, {
      ...base,
      AUTHFLOW_PROVIDER: 'oauth2',
      AUTHFLOW_AUTHORIZE_URL: 'https://auth.example.com/authorize',
      AUTHFLOW_TOKEN_URL: 'https://auth.example.com/token',
    });
    assert.ok(oauth2 instanceof OAuth2Provider);
    assert.equal(oauth2.isOidc, false);
  });

  it('names the missing or unknown variable and the valid values', () => {
    throwsConfig(
      () => createProvider(undefined, base),
      'AUTHFLOW_PROVIDER',
      'google, github, microsoft, oidc, oauth2',
    );
    throwsConfig(
      () => createProvider(undefined, { ...base, AUTHFLOW_PROVIDER: 'facebook' }),
      'AUTHFLOW_PROVIDER',
      'google, github, microsoft, oidc, oauth2',
    );
    throwsConfig(
      () => createProvider(undefined, { AUTHFLOW_PROVIDER: 'google' }),
      'AUTHFLOW_CLIENT_ID',
    );
    throwsConfig(
      () => createProvider(undefined, { AUTHFLOW_PROVIDER: 'google', AUTHFLOW_CLIENT_ID: '  ' }),
      'AUTHFLOW_CLIENT_ID',
    );
    throwsConfig(
      () => createProvider(undefined, { ...base, AUTHFLOW_PROVIDER: 'oidc' }),
      'AUTHFLOW_ISSUER_URL',
    );
    throwsConfig(
      () =>
        createProvider(undefined, {
          ...base,
          AUTHFLOW_PROVIDER: 'oauth2',
          AUTHFLOW_TOKEN_URL: 'https://a/t',
        }),
      'AUTHFLOW_AUTHORIZE_URL',
    );
  });

  it('rejects an http issuer on a non-loopback host, accepts loopback', () => {
    throwsConfig(
      () =>
        createProvider(undefined, {
          ...base,
          AUTHFLOW_PROVIDER: 'oidc',
          AUTHFLOW_ISSUER_URL: 'http://auth.example.com',
        }),
      'https://',
      'loopback',
    );
    throwsConfig(
      () =>
        createProvider(undefined, {
          ...base,
          AUTHFLOW_PROVIDER: 'oauth2',
          AUTHFLOW_AUTHORIZE_URL: 'http://10.0.0.5/authorize',
          AUTHFLOW_TOKEN_URL: 'https://auth.example.com/token',
        }),
      'authorizeUrl',
    );
    const local = createProvider(undefined, {
      ...base,
      AUTHFLOW_PROVIDER: 'oidc',
      AUTHFLOW_ISSUER_URL: 'http://127.0.0.1:4000',
    });
    assert.equal(local.name, 'oidc');
  });
});

describe('createProvider from a settings object', () => {
  it('builds providers and names settings fields in errors', () => {
    const provider = createProvider({ provider: 'github', clientId: 'x', scopes: ['repo'] }, {});
    assert.deepEqual(provider.scopes, ['repo']);
    throwsConfig(
      () => createProvider({ provider: 'gitlab' as never, clientId: 'x' }),
      'settings.provider',
      'oauth2',
    );
    throwsConfig(() => createProvider({ provider: 'google' } as never), 'settings.clientId');
  });

  it('ignores the environment when settings are given', () => {
    const provider = createProvider(
      { provider: 'google', clientId: 'from-settings' },
      { AUTHFLOW_PROVIDER: 'github', AUTHFLOW_CLIENT_ID: 'from-env' },
    );
    assert.ok(provider instanceof GoogleProvider);
    assert.equal(provider.clientId, 'from-settings');
  });

  it('splits scopes on spaces and commas', () => {
    assert.deepEqual(parseScopes('openid, email  profile,,'), ['openid', 'email', 'profile']);
    assert.equal(parseScopes(' , '), undefined);
  });
});

describe('readAuthflowEnv', () => {
  it('has defaults', () => {
    assert.deepEqual(readAuthflowEnv({}), {
      usePkce: true,
      authTimeout: 120,
      refreshBufferSeconds: 60,
    });
  });

  it('reads and validates values', () => {
    assert.deepEqual(
      readAuthflowEnv({
        AUTHFLOW_USE_PKCE: 'FALSE',
        AUTHFLOW_AUTH_TIMEOUT_SECONDS: '30.5',
        AUTHFLOW_REFRESH_BUFFER_SECONDS: '0',
      }),
      { usePkce: false, authTimeout: 30.5, refreshBufferSeconds: 0 },
    );
    assert.equal(readAuthflowEnv({ AUTHFLOW_USE_PKCE: 'yes' }).usePkce, true);
    throwsConfig(() => readAuthflowEnv({ AUTHFLOW_USE_PKCE: 'maybe' }), 'AUTHFLOW_USE_PKCE');
    throwsConfig(
      () => readAuthflowEnv({ AUTHFLOW_AUTH_TIMEOUT_SECONDS: '0' }),
      'AUTHFLOW_AUTH_TIMEOUT_SECONDS',
    );
    throwsConfig(
      () => readAuthflowEnv({ AUTHFLOW_AUTH_TIMEOUT_SECONDS: '-5' }),
      'AUTHFLOW_AUTH_TIMEOUT_SECONDS',
    );
    throwsConfig(
      () => readAuthflowEnv({ AUTHFLOW_REFRESH_BUFFER_SECONDS: '1e3' }),
      'AUTHFLOW_REFRESH_BUFFER_SECONDS',
    );
  });
});
