#!/usr/bin/env node
// Runs the test files under test/ (or the files/folders given) with Node's test runner,
// TypeScript loaded through tsx. Usage: node scripts/run-tests.mjs [path ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) {
      if (entry === 'node_modules' || entry === 'fixtures') continue;
      collect(join(path, entry), out);
    }
  } else if (/\.test\.ts$/.test(path)) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2);
// test/scale starts Redis clusters and Sentinel set-ups (minutes): `npm run test:scale`.
const files =
  roots.length > 0
    ? roots.flatMap((root) => collect(root, []))
    : collect('test', []).filter((file) => !file.startsWith(join('test', 'scale')));
if (files.length === 0) {
  console.error('No test files found.');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=120000',
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
