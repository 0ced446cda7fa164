import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
// @ts-expect-error: a plain .mjs script without types
import { checkLayers } from '../../scripts/check-layers.mjs';

const check = checkLayers as (root: string) => string[];

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'authflow-layers-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function tree(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(root, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

describe('scripts/check-layers.mjs', () => {
  it('finds no import going up in src/', () => {
    assert.deepEqual(check('src'), []);
  });

  it('accepts imports of the same or a lower layer', async () => {
    const dir = await tree('clean', {
      'errors.ts': 'export class E {}\n',
      'stores/a.ts': "import { E } from '../errors.js';\nexport { E };\n",
      'cli/b.cts': "const x = require('../stores/a.js');\n",
      'deploy/c.ts': "export * from '../stores/a.js';\n",
    });
    assert.deepEqual(check(dir), []);
  });

  it('reports every kind of import that goes up, type-only and dynamic ones too', async () => {
    const dir = await tree('dirty', {
      'tokens/a.ts': "import type { X } from '../providers/x.js';\n",
      'errors.ts': "export * from './stores/y.js';\n",
      'stores/b.ts': "const m = await import('../session/s.js');\n",
      'flow/c.ts': "import '../deploy/d.js';\n",
      'deploy/d.ts': "import {\n  n,\n} from '../node/n.js';\n",
      'session/e.cts': "const c = require('../cli/c.js');\n",
      'index.ts': "export { d } from './deploy/d.js';\n",
      'client/f.ts': "import { E } from '../errors.js';\n",
      'extra/g.ts': "import { E } from '../errors.js';\n",
    });
    const problems = check(dir);
    for (const needle of [
      'tokens/a.ts',
      'errors.ts',
      'stores/b.ts',
      'flow/c.ts',
      'deploy/d.ts',
      'session/e.cts',
      'index.ts',
      'client/f.ts',
      'extra/g.ts',
    ]) {
      assert.ok(
        problems.some((problem) => problem.includes(`dirty/${needle}:`)),
        `${needle} not reported in ${problems.join('\n')}`,
      );
    }
    assert.equal(problems.length, 9);
  });
});
