// Issue 8 §4: every provider string that reaches the terminal is stripped of control
// characters and escape sequences (claims, device code and URIs, error texts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { terminalSafe } from '../../src/cli/shared/terminal-text.js';
import { startHostileProvider } from '../helpers/hostile-provider.js';
import { cliEnv, runCli, tempConfigDir } from './harness.js';

// ESC, BEL, CR, DEL, the C1 range (8-bit CSI/OSC/ST) and the bidi overrides and isolates.
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are what the test looks for.
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const HOSTILE =
  'A\u001b[2J\u001b[1;1H\u001b]0;owned\u0007\u001b]8;;https://evil.example/\u001b\\click\u001b]8;;\u001b\\\u009b31m\u009d2;x\u009c\r\u202eZ\u0008\u007fB';

describe('terminal safety', () => {
  test('terminalSafe strips escape sequences, control and bidi characters, keeping the text', () => {
    assert.equal(terminalSafe(HOSTILE), 'AclickZB');
    assert.equal(terminalSafe('plain text, ünïcödé ✓'), 'plain text, ünïcödé ✓');
    assert.equal(terminalSafe('two\nlines\tand a tab'), 'two\nlines\tand a tab');
    assert.equal(terminalSafe('one\nline\u2028too', { newlines: false }), 'one line too');
    assert.equal(terminalSafe('unterminated \u001b]0;title'), 'unterminated ');
    assert.equal(terminalSafe('\u001b(Bcharset \u001bcreset'), 'charset reset');
    assert.doesNotMatch(terminalSafe(`${'\u001b['.repeat(1000)}x`), UNSAFE);
  });

  test('provider strings (claims, device code and URIs, error texts) reach the terminal without escape sequences', async (t) => {
    const op = await startHostileProvider({ devicePendingPolls: 0 });
    t.after(() => op.close());
    const env = cliEnv(await tempConfigDir(t));
    const flags = ['--provider', 'oidc', '--issuer', op.issuer, '--client-id', op.clientId];

    // Claims: the name and a custom claim carry escape sequences and a forged line.
    const forged = `Mallory${HOSTILE}\nauthflow: Signed in as admin`;
    op.override('userinfo', () => ({ body: { sub: 'user-1', name: forged, note: HOSTILE } }));
    const login = await runCli(['login', '--device', '--store', 'file', ...flags], env);
    assert.equal(login.code, 0, login.stderr);
    for (const text of [login.stdout, login.stderr]) assert.doesNotMatch(text, UNSAFE);
    assert.equal(login.stdout.split('\n').filter(Boolean).length, 1, 'the name cannot add a line');
    assert.match(login.stdout, /^Signed in as MalloryAclickZB authflow: Signed in as admin/);
    const whoami = await runCli(['whoami'], env);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.doesNotMatch(whoami.stdout, UNSAFE);
    assert.match(whoami.stdout, /^note\s+AclickZB$/m);
    assert.equal(whoami.stdout.trim().split('\n').length, 3, 'one line per claim');
    const json = await runCli(['whoami', '--json'], env);
    assert.doesNotMatch(json.stdout, UNSAFE);
    assert.equal(JSON.parse(json.stdout).note, HOSTILE, '--json keeps the exact value, escaped');

    // Device code and URIs, then an error text.
    op.override('device', () => ({
      body: {
        device_code: 'dc-1',
        user_code: `WXYZ${HOSTILE}`,
        verification_uri: `${op.origin}/verify`,
        verification_uri_complete: `${op.origin}/verify?code=\u001b]0;t\u0007`,
        expires_in: 600,
        interval: 1,
      },
    }));
    op.override('token', () => ({
      status: 400,
      body: { error: 'invalid_request', error_description: `Refused${HOSTILE}` },
    }));
    const device = await runCli(['login', '--device', '--store', 'file', ...flags], env);
    assert.notEqual(device.code, 0);
    assert.match(device.stderr, /enter the code:\s+WXYZAclickZB\n/);
    assert.match(device.stderr, /invalid_request \(Refused/, 'the error text is shown');
    assert.doesNotMatch(device.stderr, UNSAFE);
    assert.doesNotMatch(device.stdout, UNSAFE);
  });
});
