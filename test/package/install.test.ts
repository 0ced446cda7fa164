// The package as a user installs it: `npm pack` of the current build, installed from the
// tarball into a fresh project (npm cache first, the registry only for what it lacks), then
// every subpath export imported from ESM and required from CommonJS (Node 20.19+), the
// command run, and authflow/dev without the optional oidc-provider. Needs `npm run build`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
};
/** Each subpath export and one name it must export. */
const SUBPATHS: Record<string, string> = {
  authflow: 'AuthFlowManager',
  'authflow/dev': 'startDevProvider',
  'authflow/deploy': 'createAuthApp',
  'authflow/node': 'serve',
  'authflow/client': 'getState',
};

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 60_000,
  });
}

describe('the packed tarball installed into a fresh project', () => {
  let dir: string;
  let project: string;
  let tarballFiles: string[] = [];
  before(() => {
    assert.ok(existsSync(join(ROOT, 'dist/index.js')), 'run "npm run build" first');
    dir = mkdtempSync(join(tmpdir(), 'authflow-install-'));
    project = join(dir, 'project');
    const pack = run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
      ROOT,
    );
    assert.equal(pack.status, 0, pack.stderr);
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    assert.ok(packed);
    tarballFiles = packed.files.map((file) => file.path);
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    const install = (mode: string) =>
      run(
        'npm',
        [
          'install',
          join(dir, packed.filename),
          mode,
          '--no-audit',
          '--no-fund',
          '--ignore-scripts',
        ],
        project,
      );
    // Offline when the npm cache has everything; else the registry for what it lacks.
    let installed = install('--offline');
    if (installed.status !== 0) installed = install('--prefer-offline');
    assert.equal(installed.status, 0, installed.stderr);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists every subpath export here, and ships LICENSE, README and the sources its maps name', () => {
    assert.deepEqual(
      Object.keys(manifest.exports)
        .filter((key) => key !== './package.json')
        .map((key) => (key === '.' ? 'authflow' : `authflow/${key.slice(2)}`))
        .sort(),
      Object.keys(SUBPATHS).sort(),
    );
    for (const file of ['LICENSE', 'README.md', 'package.json']) {
      assert.ok(tarballFiles.includes(file), file);
    }
    const maps = tarballFiles.filter((file) => file.endsWith('.map'));
    assert.ok(maps.length > 10, 'source maps are shipped');
    for (const map of maps) {
      const { sources } = JSON.parse(
        readFileSync(join(project, 'node_modules/authflow', map), 'utf8'),
      ) as { sources: string[] };
      for (const source of sources) {
        const target = join(dirname(map), source);
        assert.ok(tarballFiles.includes(target), `${map} points at ${target}, not in the tarball`);
      }
    }
    assert.ok(!tarballFiles.some((file) => file.startsWith('test/')), 'no tests in the tarball');
  });

  it('imports each subpath export from ESM and requires it from CommonJS', () => {
    const script = (load: string) =>
      `const names = ${JSON.stringify(SUBPATHS)};
const out = {};
for (const [specifier, name] of Object.entries(names)) out[specifier] = typeof (${load})[name];
console.log(JSON.stringify(out));`;
    writeFileSync(join(project, 'esm.mjs'), script('await import(specifier)'));
    writeFileSync(join(project, 'cjs.cjs'), script('require(specifier)'));
    const expected = Object.fromEntries(Object.keys(SUBPATHS).map((key) => [key, 'function']));
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const result = run(process.execPath, [file], project);
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), expected, file);
    }
  });

  it('installs no oidc-provider; authflow/dev and login --dev say what to install', () => {
    assert.equal(existsSync(join(project, 'node_modules/oidc-provider')), false);
    assert.equal(existsSync(join(project, 'node_modules/koa')), false);
    const dev = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { startDevProvider } from 'authflow/dev';
try { await startDevProvider(); console.log('started'); }
catch (error) { console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message })); }`,
      ],
      project,
    );
    assert.equal(dev.status, 0, dev.stderr);
    const error = JSON.parse(dev.stdout) as { name: string; code: string; message: string };
    assert.equal(error.name, 'ConfigurationError');
    assert.equal(error.code, 'invalid_configuration');
    assert.match(error.message, /npm install --save-dev oidc-provider/);

    const bin = join(project, 'node_modules/.bin/authflow');
    const help = run(bin, ['--help'], project);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /login/);
    const login = run(bin, ['login', '--dev', '--no-browser'], project, {
      AUTHFLOW_CONFIG_DIR: join(dir, 'config'),
    });
    assert.notEqual(login.status, 0);
    assert.match(
      login.stderr,
      /needs the package oidc-provider.*npm install --save-dev oidc-provider/,
    );
  });
});
