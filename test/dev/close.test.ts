import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./fixtures/close-exits.ts', import.meta.url));

it('close() ends keep-alive and hanging connections quickly, and leaves nothing open', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
    );
    assert.equal(signal, null, `the process exited by itself (stderr: ${stderr})`);
    assert.equal(code, 0, stderr);
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
  }
  const result = JSON.parse(stdout.trim()) as {
    closeMs: number;
    hanging: string;
    refused: boolean;
  };
  assert.ok(result.closeMs < 1000, `close took ${result.closeMs} ms`);
  assert.ok(result.hanging === 'answered 503' || result.hanging === 'reset', result.hanging);
  assert.equal(result.refused, true, 'nothing listens after close');
  assert.equal(stderr, '', 'oidc-provider notices and warnings are silenced');
  assert.doesNotMatch(stdout, /oidc-provider/);
});
