// When `authflow login` thinks a browser can be opened (src/cli/commands/login/browser.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canOpenBrowser } from '../../../../src/cli/commands/login/browser.js';

test('a browser can be opened with a display, never over SSH', () => {
  assert.equal(canOpenBrowser({}, 'linux'), false);
  assert.equal(canOpenBrowser({ DISPLAY: ':0' }, 'linux'), true);
  assert.equal(canOpenBrowser({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux'), true);
  assert.equal(canOpenBrowser({ DISPLAY: ':0', SSH_CONNECTION: '1 2 3 4' }, 'linux'), false);
  assert.equal(canOpenBrowser({}, 'darwin'), true);
  assert.equal(canOpenBrowser({ SSH_TTY: '/dev/pts/1' }, 'darwin'), false);
  assert.equal(canOpenBrowser({}, 'win32'), true);
});
