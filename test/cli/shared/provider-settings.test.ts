// Which provider settings a login uses (src/cli/shared/provider-settings.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveSettings } from '../../../src/cli/shared/provider-settings.js';
import { parseScopes } from '../../../src/providers/create.js';

test('settings: flags over environment over the saved profile, never mixing providers', async () => {
  const saved = {
    provider: 'oidc',
    clientId: 'saved',
    issuerUrl: 'https://a.example',
    scopes: ['openid'],
  };
  assert.deepEqual(await resolveSettings({}, {}, saved, 's3cret'), {
    settings: saved,
    clientSecret: 's3cret',
    secretSource: 'store',
  });
  assert.deepEqual(
    (
      await resolveSettings(
        { clientId: 'flag' },
        { AUTHFLOW_CLIENT_ID: 'env', AUTHFLOW_SCOPES: 'a,b c' },
        saved,
        undefined,
      )
    ).settings,
    { provider: 'oidc', clientId: 'flag', issuerUrl: 'https://a.example', scopes: ['a', 'b', 'c'] },
  );
  // Another provider: nothing saved is reused, not even the secret.
  const github = await resolveSettings({ provider: 'github', clientId: 'gh' }, {}, saved, 's3cret');
  assert.deepEqual(github, { settings: { provider: 'github', clientId: 'gh' } });
  assert.equal(
    (await resolveSettings({}, { AUTHFLOW_CLIENT_SECRET: 'env' }, saved, 's3cret')).secretSource,
    'env',
  );
  assert.equal(
    (await resolveSettings({ clientSecret: 'f' }, {}, saved, undefined)).secretSource,
    'flag',
  );
  // --scopes is split like AUTHFLOW_SCOPES everywhere: by the providers' own parseScopes.
  assert.deepEqual(
    (await resolveSettings({ scopes: ' openid, email  profile ' }, {}, saved, undefined)).settings
      .scopes,
    ['openid', 'email', 'profile'],
  );
  assert.deepEqual(parseScopes(' openid, email  profile '), ['openid', 'email', 'profile']);
  assert.equal(parseScopes(' , '), undefined);
});
