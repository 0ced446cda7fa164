// The README's TypeScript snippets type-check as a user would paste them: each one alone
// (imports included), with `authflow` resolved to this source tree. A snippet preceded by
// `<!-- readme-check: continues -->` is checked appended to the one before it.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '../..');
const CONTINUES = '<!-- readme-check: continues -->';

/** The ```ts blocks of `markdown`, continuations joined to the block before them. */
export function snippets(markdown: string): string[] {
  const units: string[] = [];
  const fence = /(<!-- readme-check: continues -->\s*)?^```ts\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const code = match[2] ?? '';
    if (match[1]?.includes(CONTINUES) && units.length > 0) {
      units[units.length - 1] += `\n${code}`;
    } else {
      units.push(code);
    }
  }
  return units;
}

/** The last program, handed to the next one so that it reuses the unchanged source files. */
let previous: ts.Program | undefined;

/** Type-checks each unit as its own file; resolves the problems found in them. */
function typeCheck(units: string[]): string[] {
  // Inside the repository, so that `hono` and friends resolve from its node_modules and its
  // package.json makes the files ES modules (top-level await).
  const dir = join(ROOT, '.tmp', `readme-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const files = units.map((code, index) => {
      const file = join(dir, `snippet-${index + 1}.ts`);
      writeFileSync(file, code);
      return file;
    });
    const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
    // A snippet shows a fragment: a name it declares for the reader may stay unused.
    const program = ts.createProgram(
      files,
      { ...options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false },
      undefined,
      previous,
    );
    previous = program;
    return ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || d.file.fileName.startsWith(dir))
      .map((d) => {
        const line = d.file?.getLineAndCharacterOfPosition(d.start ?? 0).line;
        const where = d.file ? `${d.file.fileName.slice(dir.length + 1)}:${(line ?? 0) + 1} ` : '';
        return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('README snippets', () => {
  it('type-check, each with its own imports', () => {
    const units = snippets(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    assert.ok(units.length >= 3, `found ${units.length} snippets`);
    assert.deepEqual(typeCheck(units), []);
  });

  it('the check joins continuations, and fails a snippet that lacks an import', () => {
    const units = snippets(
      '```ts\nimport { startDevProvider } from "authflow/dev";\n```\n\n' +
        `${CONTINUES}\n\n\`\`\`ts\nawait startDevProvider;\n\`\`\`\n\n` +
        '```ts\nnew GenericOIDCProvider({ clientId: "x", issuerUrl: "y" });\nexport {};\n```\n',
    );
    assert.equal(units.length, 2);
    assert.match(units[0] ?? '', /authflow\/dev";\n\nawait startDevProvider;/);
    assert.deepEqual(typeCheck(units), ["snippet-2.ts:1 Cannot find name 'GenericOIDCProvider'."]);
  });
});
