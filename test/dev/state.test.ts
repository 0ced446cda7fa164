// Issue 10: a development provider restarted with the same stateDir is the same provider.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startDevProvider } from '../../src/dev/index.js';

describe('development provider state', () => {
  it('stateDir keeps the signing keys and web client secret across restarts (files 0600)', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'authflow-devstate-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const stateDir = join(dir, 'state');
    const first = await startDevProvider({ stateDir });
    let jwks: unknown;
    let secret: string;
    try {
      jwks = await fetch(`${first.issuer}/jwks`).then((r) => r.json());
      secret = first.webClientSecret;
    } finally {
      await first.close();
    }
    const second = await startDevProvider({ stateDir, port: first.port });
    try {
      assert.equal(second.issuer, first.issuer);
      assert.deepEqual(await fetch(`${second.issuer}/jwks`).then((r) => r.json()), jwks);
      assert.equal(second.webClientSecret, secret);
    } finally {
      await second.close();
    }
    assert.equal((await stat(stateDir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(stateDir, 'keys.json'))).mode & 0o777, 0o600);
    // Without stateDir: fresh keys each time.
    const fresh = await startDevProvider();
    try {
      assert.notDeepEqual(await fetch(`${fresh.issuer}/jwks`).then((r) => r.json()), jwks);
    } finally {
      await fresh.close();
    }
  });
});
