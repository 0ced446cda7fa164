// Where the CLI keeps its files (src/cli/shared/paths.cts).
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import paths from '../../../src/cli/shared/paths.cjs';

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
