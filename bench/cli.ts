/**
 * `authflow token` start-up cost. Measured side by side in one run, interleaved so that
 * machine load hits both alike:
 *  - `authflow token` (`node dist/cli/bin.cjs token`, the package's `bin`) with a valid token in
 *    the file store, against `node -e ''` (a bare Node start): the ratio of the medians must
 *    be ≤ 1.5;
 *  - `node dist/cli/main.js token`, the ESM entry, for reference (it pays for the ESM loader,
 *    which is why the `bin` answers this case in CommonJS);
 *  - and `authflow token` when the token has expired and is refreshed at the embedded
 *    provider (one real refresh per run).
 * The token comes from a real sign-in (`authflow login --no-browser`, headless Chromium).
 *
 *   npm run bench:cli [-- --runs 40 --refresh-runs 10]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDevProvider } from '../src/dev/index.js';
import { devProviderFlags } from '../test/cli/harness.js';
import { launchBrowser, signInAtDevProvider, withPage } from '../test/helpers/browser.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '40' },
    'refresh-runs': { type: 'string', default: '10' },
  },
});
const runs = Number(values.runs);
const refreshRuns = Number(values['refresh-runs']);
const GOAL = 1.5;

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/bin.cjs');
const esmEntry = join(root, 'dist/cli/main.js');
if (!existsSync(cli) || !existsSync(esmEntry)) {
  console.error('dist/cli is missing: run `npm run build` first (npm run bench:cli does).');
  process.exit(1);
}

/** Wall time of one process run, in ms; rejects when it fails. Async: the provider runs in this process. */
function timeRun(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child: ChildProcess = spawn(process.execPath, args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve({ ms, stdout });
      else reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

const dev = await startDevProvider();
const browser = await launchBrowser();
const dir = await mkdtemp(join(tmpdir(), 'authflow-bench-cli-'));
try {
  const env: NodeJS.ProcessEnv = { ...process.env, AUTHFLOW_CONFIG_DIR: dir, NO_COLOR: '1' };
  // NODE_EXTRA_CA_CERTS makes every Node start parse a CA bundle (tens of ms): it would pad the
  // baseline and flatter the ratio. Neither run needs it (the provider is on loopback http).
  for (const key of ['AUTHFLOW_REFRESH_BUFFER_SECONDS', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'])
    delete env[key];

  // One real sign-in through the CLI.
  const login = spawn(
    process.execPath,
    [cli, 'login', '--no-browser', '--store', 'file', ...devProviderFlags(dev)],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const loginClosed = new Promise((resolve) => login.on('close', resolve));
  let loginErr = '';
  const url = await new Promise<string>((resolve, reject) => {
    login.stderr?.on('data', (chunk) => {
      loginErr += chunk;
      const match = /(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)/.exec(loginErr);
      if (match) resolve(match[1] as string);
    });
    login.on('close', (code) => reject(new Error(`login exited ${code}: ${loginErr}`)));
  });
  await withPage(browser, (page) => signInAtDevProvider(page, url));
  if ((await loginClosed) !== 0) throw new Error(`login failed: ${loginErr}`);

  const tokenArgs = [cli, 'token'];
  const cases: Record<'node' | 'token' | 'esm', string[]> = {
    node: ['-e', ''],
    token: tokenArgs,
    esm: [esmEntry, 'token'],
  };
  const samples: Record<keyof typeof cases, number[]> = { node: [], token: [], esm: [] };
  const names = Object.keys(cases) as (keyof typeof cases)[];
  for (let i = 0; i < runs + 3; i++) {
    // Rotate the order, so that none always follows another; the first 3 rounds warm up.
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length] as keyof typeof cases;
      const { ms, stdout } = await timeRun(cases[name], env);
      if (name !== 'node' && stdout.trim().length < 10)
        throw new Error(`${name}: printed no token`);
      if (i >= 3) samples[name].push(ms);
    }
  }
  const nodeMs = samples.node;
  const tokenMs = samples.token;

  const tokenFile = join(dir, 'tokens', 'default.json');
  const refreshMs: number[] = [];
  const before = dev.tokenRequests.refresh_token;
  for (let i = 0; i < refreshRuns; i++) {
    const file = JSON.parse(await readFile(tokenFile, 'utf8'));
    for (const entry of Object.values(file.tokens) as { expiresAt?: number }[]) entry.expiresAt = 1;
    await writeFile(tokenFile, JSON.stringify(file), { mode: 0o600 });
    refreshMs.push((await timeRun(tokenArgs, env)).ms);
  }
  if (dev.tokenRequests.refresh_token - before !== refreshRuns) {
    throw new Error('each refresh run should have made exactly one refresh request');
  }

  const ratio = median(tokenMs) / median(nodeMs);
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  const line = (label: string, ms: number[]) =>
    console.log(`${label.padEnd(52)} median ${fmt(median(ms))} over ${ms.length} runs`);
  line('authflow token (bin), valid token in the file store:', tokenMs);
  line("node -e '' (baseline, same run):", nodeMs);
  console.log(
    `ratio: ${ratio.toFixed(2)} (goal ≤ ${GOAL}) ${ratio <= GOAL ? 'OK' : 'OVER THE GOAL'}`,
  );
  line('node dist/cli/main.js token (ESM entry, reference):', samples.esm);
  line('authflow token, refresh at the embedded provider:', refreshMs);
} finally {
  await browser.close();
  await dev.close();
  await rm(dir, { recursive: true, force: true });
}
