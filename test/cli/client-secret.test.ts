// Issue 8 §4: a client secret never has to be on the command line. The process title and the
// hidden prompt on a real terminal through the real binary; the piped secret in-process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { useDevProvider } from '../helpers/dev-provider.js';
import { startHostileProvider } from '../helpers/hostile-provider.js';
import {
  cliEnv,
  cliInvocation,
  devProviderFlags,
  ROOT,
  startCli,
  tempConfigDir,
  waitForAuthorizeUrl,
} from './harness.js';
import { runCommand } from './in-process.js';

const SECRET = 'cs-7f3a9c1e5b2d4f60';

describe('client secret', () => {
  const dev = useDevProvider();

  test('--client-secret is removed from the process title at once, with a warning', async (t) => {
    const dir = await tempConfigDir(t);
    const cli = startCli(
      t,
      [
        'login',
        '--no-browser',
        '--store',
        'file',
        ...devProviderFlags(dev()),
        '--client-secret',
        SECRET,
      ],
      cliEnv(dir),
    );
    await waitForAuthorizeUrl(cli, dev().issuer);
    const cmdline = await readFile(`/proc/${cli.child.pid}/cmdline`, 'utf8');
    assert.ok(!cmdline.includes(SECRET), `the process list shows: ${cmdline.replace(/\0/g, ' ')}`);
    assert.match(cmdline, /--client-secret\0?\s?\*\*\*/);
    assert.match(
      cli.stderr,
      /warning: --client-secret shows the secret to other users.*--client-secret-stdin/,
    );
    assert.ok(!cli.stderr.includes(SECRET), 'the secret is not printed');
  });

  test('--client-secret-stdin reads the secret from a pipe, and the provider gets it', async (t) => {
    const op = await startHostileProvider({ clientSecret: SECRET, devicePendingPolls: 0 });
    t.after(() => op.close());
    const args = ['login', '--device', '--store', 'file', '--provider', 'oidc'];
    args.push('--issuer', op.issuer, '--client-id', op.clientId, '--client-secret-stdin');
    const dir = await tempConfigDir(t);
    const result = await runCommand(args, dir, { stdin: `${SECRET}\n` });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Signed in as /);
    assert.doesNotMatch(result.stderr, /warning/);
    assert.ok(!`${result.stdout}${result.stderr}`.includes(SECRET));
    const tokenRequests = op.requestsTo('token');
    assert.ok(tokenRequests.length > 0);
    const basic = String(tokenRequests.at(-1)?.headers.authorization ?? '');
    const body = tokenRequests.at(-1)?.form?.get('client_secret') ?? '';
    const sent = basic.startsWith('Basic ')
      ? decodeURIComponent(Buffer.from(basic.slice(6), 'base64').toString())
      : body;
    assert.ok(sent.includes(SECRET), 'the token request authenticated with the piped secret');

    const empty = await runCommand(args, dir, { stdin: '' });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /standard input was empty/);
  });

  test('--client-secret-stdin prompts without echo on a terminal', async (t) => {
    const op = await startHostileProvider({ clientSecret: SECRET, devicePendingPolls: 0 });
    t.after(() => op.close());
    const env = cliEnv(await tempConfigDir(t));
    const cli = [process.execPath, ...cliInvocation(), 'login', '--device', '--store', 'file'];
    cli.push('--provider', 'oidc', '--issuer', op.issuer, '--client-id', op.clientId);
    cli.push('--client-secret-stdin');
    // A real pseudo-terminal: Python's pty module plays the user typing at the prompt.
    const script = `
import os, pty, sys, json
argv = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out = b''
typed = False
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if not typed and b'Client secret (input hidden): ' in out:
        os.write(fd, ${JSON.stringify(SECRET)}.encode() + b'\\r')
        typed = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(json.dumps({'code': os.waitstatus_to_exitcode(status), 'out': out.decode('utf-8', 'replace')}))
`;
    const child = spawn('/usr/bin/python3', ['-c', script, JSON.stringify(cli)], {
      env,
      cwd: ROOT,
    });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    t.after(() => clearTimeout(timer));
    await new Promise((resolve) => child.on('close', resolve));
    const result = JSON.parse(text) as { code: number; out: string };
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /Client secret \(input hidden\): /);
    assert.match(result.out, /Signed in as /);
    assert.ok(!result.out.includes(SECRET), 'the typed secret was not echoed');
  });
});
