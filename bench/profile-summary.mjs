// Summarises a V8 .cpuprofile: self time by where the code lives (authflow's dist/ or src/
// folders, each package, Node's internals), the functions with the most self time, and with
// the most total time (self + callees). Usage: node bench/profile-summary.mjs <file> [rows]
import { readFileSync } from 'node:fs';

const [file, rowsArg] = process.argv.slice(2);
if (file === undefined) {
  console.error('Usage: node bench/profile-summary.mjs <file.cpuprofile> [rows]');
  process.exit(2);
}
const rows = Number(rowsArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfHits = new Map();
for (const id of profile.samples) selfHits.set(id, (selfHits.get(id) ?? 0) + 1);
const total = profile.samples.length;

const name = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url
    ? `${url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${lineNumber + 1}`
    : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
};

// Self time per function.
const self = new Map();
for (const [id, hits] of selfHits) {
  const key = name(byId.get(id));
  self.set(key, (self.get(key) ?? 0) + hits);
}
// Total time per function: every sample counts once for each distinct function on its stack.
const parent = new Map();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parent.set(child, node.id);
const inclusive = new Map();
for (const [id, hits] of selfHits) {
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const key = name(byId.get(at));
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + hits);
  }
}
const show = (title, map) => {
  console.log(`\n${title} (${total} samples)`);
  for (const [key, hits] of [...map].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    console.log(`${((100 * hits) / total).toFixed(1).padStart(6)}%  ${key}`);
  }
};
// Self time by where the code lives: authflow's own folders, each package, Node, V8.
const place = (node) => {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/(dist|src|bench)\/([^/]+)\//.exec(url);
  if (own) return `${own[1]}/${own[2]}/`;
  if (url.startsWith('node:')) return 'node: (internals)';
  return url;
};
const byPlace = new Map();
for (const [id, hits] of selfHits) {
  const key = place(byId.get(id));
  byPlace.set(key, (byPlace.get(key) ?? 0) + hits);
}
show('Self time by place', byPlace);
show('Self time', self);
show('Total time', inclusive);
