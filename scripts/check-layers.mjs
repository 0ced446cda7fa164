#!/usr/bin/env node
// Keeps the layers of src/ (see ARCHITECTURE.md): a module may import its own layer and the
// layers below it, never one above. Every relative import, re-export, import() and require() of
// every source file counts, type-only ones too (they couple the layers as much).
//   0  tokens, errors.ts
//   1  providers, stores
//   2  session, flow, dev, index.ts (the core: it never imports deploy, node or cli)
//   3  deploy
//   4  node, cli
// client/ is the browser bundle: it imports nothing from the rest of src/.
// Usage: node scripts/check-layers.mjs [src-dir]   (exit 1 and one line per violation)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Layer of each top-level entry of src/ (folders, or files without their extension). */
export const LAYERS = {
  tokens: 0,
  errors: 0,
  providers: 1,
  stores: 1,
  session: 2,
  flow: 2,
  dev: 2,
  index: 2,
  deploy: 3,
  node: 4,
  cli: 4,
};
/** Entries that may import nothing else from src/. */
const ISOLATED = new Set(['client']);

const SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]*)['"]/gm;

function sources(path, out) {
  for (const entry of readdirSync(path)) {
    const full = join(path, entry);
    if (statSync(full).isDirectory()) sources(full, out);
    else if (/\.(?:[cm]?ts|[cm]?js)$/.test(entry)) out.push(full);
  }
  return out;
}

function topOf(root, file) {
  const first = relative(root, file).split(sep)[0] ?? '';
  return first.replace(/\.[^.]+$/, '');
}

/** Returns one message per import that goes up the layers (empty when the tree is clean). */
export function checkLayers(root) {
  const problems = [];
  for (const file of sources(root, [])) {
    const from = topOf(root, file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(SPECIFIER)) {
      const specifier = match[1];
      const target = resolve(dirname(file), specifier);
      const rel = relative(root, target);
      if (rel.startsWith('..')) continue; // outside src/ (e.g. package.json)
      const to = topOf(root, target);
      if (to === from) continue;
      const where = `${relative(process.cwd(), file)}: imports '${specifier}'`;
      if (ISOLATED.has(from) || ISOLATED.has(to)) {
        problems.push(`${where} (${from} and ${to} must stay apart)`);
      } else if (!(from in LAYERS) || !(to in LAYERS)) {
        problems.push(`${where} (${from in LAYERS ? to : from} has no layer: add it to LAYERS)`);
      } else if (LAYERS[to] > LAYERS[from]) {
        problems.push(`${where} (${from} is layer ${LAYERS[from]}, ${to} is layer ${LAYERS[to]})`);
      }
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(process.argv[2] ?? 'src');
  const problems = checkLayers(root);
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) {
    console.error(`${problems.length} import(s) break the layers (see ARCHITECTURE.md).`);
    process.exit(1);
  }
  console.log('Layers: no import goes up.');
}
