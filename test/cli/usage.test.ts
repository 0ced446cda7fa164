// Usage errors, help, exit codes and plain output: no provider or browser needed. Each command
// runs in-process (in-process.ts), through the same entry as the executable.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tempConfigDir } from './harness.js';
import { runCommand } from './in-process.js';

const COMMANDS = [
  'login',
  'token',
  'status',
  'whoami',
  'logout',
  'profiles',
  'serve',
  'dev-provider',
];

describe('authflow usage', () => {
  test('--help on every command, with examples, exit 0', async (t) => {
    const dir = await tempConfigDir(t);
    const results = await Promise.all(
      COMMANDS.map((command) => runCommand([command, '--help'], dir)),
    );
    results.forEach((result, i) => {
      assert.equal(result.code, 0, `${COMMANDS[i]}: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`^authflow ${COMMANDS[i]} — `));
      assert.match(result.stdout, /\nExamples:\n {2}.*authflow /);
    });
    const top = await runCommand(['--help'], dir);
    assert.equal(top.code, 0);
    for (const command of COMMANDS) assert.match(top.stdout, new RegExp(`\\n {2}${command} `));
    assert.match(top.stdout, /0 ok, 1 failure, 2 usage error, 3 timed out, 4 cancelled/);
    assert.deepEqual(
      await runCommand(['help', 'token'], dir).then((r) => [r.code, r.stdout.split('\n')[0]]),
      [0, 'authflow token — print a valid access token (and nothing else) on stdout'],
    );
    const version = await runCommand(['--version'], dir);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  });

  test('bad flags and missing settings exit 2 with a clear message', async (t) => {
    const dir = await tempConfigDir(t);
    const cases: Array<[string[], RegExp]> = [
      [[], /Usage: authflow <command>/],
      [['frobnicate'], /Unknown command "frobnicate"/],
      [['token', '--bogus'], /Unknown option --bogus\./],
      [['status', 'extra'], /Unexpected argument "extra"/],
      [['login', '--timeout'], /Option --timeout needs a value/],
      [['token', '--json=yes'], /Option --json takes no value/],
      [
        ['login', '--timeout', 'soon', '--dev'],
        /--timeout must be an integer between 1 and 86400, not "soon"/,
      ],
      [
        ['login', '--store', 'cloud', '--dev'],
        /--store must be one of keyring, file, memory, not "cloud"/,
      ],
      [['login', '--port', '99999', '--dev'], /--port must be a port number/],
      [['login', '--no-browser', '--device', '--dev'], /Choose one of --no-browser, --device/],
      [['login', '--dev', '--client-id', 'x'], /--dev sets the provider itself/],
      [['login'], /No provider given\. Pass --provider .* or try: authflow login --dev/],
      [['login', '--provider', 'myspace', '--client-id', 'x'], /Unknown provider "myspace"/],
      [
        ['login', '--provider', 'google'],
        /No client id for the google provider\. Pass --client-id or set AUTHFLOW_CLIENT_ID/,
      ],
      [['login', '--provider', 'oidc', '--client-id', 'x'], /The oidc provider needs --issuer/],
      [
        ['login', '--provider', 'oauth2', '--client-id', 'x'],
        /needs --authorize-url and --token-url/,
      ],
      [['status', '--profile', '../etc'], /Invalid profile name "\.\.\/etc"/],
      [['dev-provider', '--port', 'abc'], /--port must be an integer/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCommand(args, dir)));
    results.forEach((result, i) => {
      const [args, pattern] = cases[i] as [string[], RegExp];
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern, args.join(' '));
      assert.equal(result.stdout, '', `${args.join(' ')}: nothing on stdout`);
      assert.ok(!result.stderr.includes('\u001b['), 'no colours when not on a terminal');
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    });
  });

  test('settings from AUTHFLOW_* variables are validated too', async (t) => {
    const dir = await tempConfigDir(t);
    const env = { AUTHFLOW_PROVIDER: 'oidc', AUTHFLOW_CLIENT_ID: 'x' };
    const result = await runCommand(['login'], dir, { env });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /needs --issuer \(or AUTHFLOW_ISSUER_URL\)/);
    const badPkce = await runCommand(['login', '--dev', '--no-browser'], dir, {
      env: { ...env, AUTHFLOW_USE_PKCE: 'maybe', AUTHFLOW_PROVIDER: '' },
    });
    assert.equal(badPkce.code, 2, badPkce.stderr);
    assert.match(badPkce.stderr, /AUTHFLOW_USE_PKCE must be true or false/);
  });

  test('commands on a profile that was never set up say what to do', async (t) => {
    const dir = await tempConfigDir(t);
    for (const args of [['token'], ['whoami'], ['token', '--profile', 'work']]) {
      const result = await runCommand(args, dir);
      assert.equal(result.code, 1, args.join(' '));
      assert.equal(result.stdout, '');
      const flag = args.includes('work') ? ' --profile work' : '';
      assert.equal(
        result.stderr,
        `authflow: No such profile "${args.includes('work') ? 'work' : 'default'}" (no profiles yet). Run: authflow login${flag}\n`,
      );
    }
    const status = await runCommand(['status', '--json'], dir);
    assert.equal(status.code, 1);
    assert.deepEqual(JSON.parse(status.stdout), {
      profile: 'default',
      authenticated: false,
      userId: null,
      expiresAt: null,
      scopes: [],
      store: null,
      storeLocation: null,
      provider: null,
      issuer: null,
      accessTokenExpired: null,
    });
    const logout = await runCommand(['logout'], dir);
    assert.equal(logout.code, 1, 'logout says the same as token');
    assert.equal(
      logout.stderr,
      'authflow: No such profile "default" (no profiles yet). Run: authflow login\n',
    );
    const profiles = await runCommand(['profiles', '--json'], dir);
    assert.deepEqual(JSON.parse(profiles.stdout), []);
  });
});
