#!/usr/bin/env node
// Checks the package as it would be published: packs it once (from the current build, no
// scripts), then runs @arethetypeswrong/cli (ESM-only profile: CommonJS resolution is not
// checked, the package is ESM-only) and publint (warnings count as errors) on that tarball.
// Usage: npm run build && node scripts/check-package.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (!existsSync('dist/index.js')) {
  console.error('No build in dist/: run "npm run build" first.');
  process.exit(1);
}
const bin = (name) => join('node_modules', '.bin', name);
const dir = mkdtempSync(join(tmpdir(), 'authflow-pack-'));
let status = 1;
try {
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    encoding: 'utf8',
  });
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const tarball = join(dir, JSON.parse(pack.stdout)[0].filename);
  const checks = [
    [bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'table-flipped']],
    [bin('publint'), ['run', tarball, '--strict']],
  ];
  status = 0;
  for (const [command, args] of checks) {
    const result = spawnSync(command, args, { stdio: 'inherit' });
    if (result.status !== 0) status = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
