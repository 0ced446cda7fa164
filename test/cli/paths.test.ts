// Where the CLI keeps its files, and when it thinks a browser can be opened.
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { canOpenBrowser } from '../../src/cli/commands/login/browser.js';
import { commandName } from '../../src/cli/shared/command-name.js';
import paths from '../../src/cli/shared/paths.cjs';
import { parseScopes, resolveSettings } from '../../src/cli/shared/provider-settings.js';

const { configDir } = paths;

test('config dir: AUTHFLOW_CONFIG_DIR, else the platform convention', () => {
  assert.equal(configDir({ AUTHFLOW_CONFIG_DIR: '/x/y', XDG_CONFIG_HOME: '/c' }, 'linux'), '/x/y');
  assert.equal(configDir({ XDG_CONFIG_HOME: '/c' }, 'linux'), join('/c', 'authflow'));
  assert.equal(configDir({}, 'linux'), join(homedir(), '.config', 'authflow'));
  assert.equal(
    configDir({}, 'darwin'),
    join(homedir(), 'Library', 'Application Support', 'authflow'),
  );
  assert.equal(
    configDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32'),
    join('C:\\Users\\a\\AppData\\Roaming', 'authflow'),
  );
});

test('a browser can be opened with a display, never over SSH', () => {
  assert.equal(canOpenBrowser({}, 'linux'), false);
  assert.equal(canOpenBrowser({ DISPLAY: ':0' }, 'linux'), true);
  assert.equal(canOpenBrowser({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux'), true);
  assert.equal(canOpenBrowser({ DISPLAY: ':0', SSH_CONNECTION: '1 2 3 4' }, 'linux'), false);
  assert.equal(canOpenBrowser({}, 'darwin'), true);
  assert.equal(canOpenBrowser({ SSH_TTY: '/dev/pts/1' }, 'darwin'), false);
  assert.equal(canOpenBrowser({}, 'win32'), true);
});

test('settings: flags over environment over the saved profile, never mixing providers', () => {
  const saved = {
    provider: 'oidc',
    clientId: 'saved',
    issuerUrl: 'https://a.example',
    scopes: ['openid'],
  };
  assert.deepEqual(resolveSettings({}, {}, saved, 's3cret'), {
    settings: saved,
    clientSecret: 's3cret',
    secretSource: 'store',
  });
  assert.deepEqual(
    resolveSettings(
      { clientId: 'flag' },
      { AUTHFLOW_CLIENT_ID: 'env', AUTHFLOW_SCOPES: 'a,b c' },
      saved,
      undefined,
    ).settings,
    { provider: 'oidc', clientId: 'flag', issuerUrl: 'https://a.example', scopes: ['a', 'b', 'c'] },
  );
  // Another provider: nothing saved is reused, not even the secret.
  const github = resolveSettings({ provider: 'github', clientId: 'gh' }, {}, saved, 's3cret');
  assert.deepEqual(github, { settings: { provider: 'github', clientId: 'gh' } });
  assert.equal(
    resolveSettings({}, { AUTHFLOW_CLIENT_SECRET: 'env' }, saved, 's3cret').secretSource,
    'env',
  );
  assert.equal(resolveSettings({ clientSecret: 'f' }, {}, saved, undefined).secretSource, 'flag');
  assert.deepEqual(parseScopes(' openid, email  profile '), ['openid', 'email', 'profile']);
  assert.equal(parseScopes(' , '), undefined);
});

test('hints name the command as the user started it (authflow, npx authflow, node <path>)', () => {
  assert.equal(commandName({}, '/usr/local/bin/authflow'), 'authflow');
  assert.equal(
    commandName({ npm_command: 'exec' }, '/x/node_modules/.bin/authflow'),
    'npx authflow',
  );
  assert.equal(
    commandName({}, join(process.cwd(), 'dist', 'cli', 'bin.cjs')),
    `node ${join('dist', 'cli', 'bin.cjs')}`,
  );
  assert.equal(commandName({}, '/opt/my tools/bin.cjs'), 'node "/opt/my tools/bin.cjs"');
});
