// How printed hints name the command (src/cli/shared/command-name.ts).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { commandName } from '../../../src/cli/shared/command-name.js';

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
