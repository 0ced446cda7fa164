// "Is the stored token still fresh?": the CLI's one decision (src/cli/shared/token-freshness.cts)
// and the cheap read of the executable's fast path built on it (src/cli/shared/stored-token.cts).
// That the rule agrees with the core's is checked in test/tokens/refresh-due.test.ts.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import storedToken from '../../../src/cli/shared/stored-token.cjs';
import freshness from '../../../src/cli/shared/token-freshness.cjs';
import { refreshBufferSeconds } from '../../../src/cli/shared/valid-tokens.js';
import { readAuthflowEnv } from '../../../src/providers/settings.js';
import { isRefreshDue } from '../../../src/tokens/refresh-due.js';

const NOW = 1_800_000_000_000;
const set = (lifetime: number, age: number) => {
  const issuedAt = NOW / 1000 - age;
  return {
    accessToken: 'at-1',
    tokenType: 'Bearer',
    issuedAt,
    expiresAt: issuedAt + lifetime,
  };
};

describe('token freshness', () => {
  test("one default buffer: the library's default for AUTHFLOW_REFRESH_BUFFER_SECONDS", async () => {
    assert.equal(
      freshness.DEFAULT_REFRESH_BUFFER_SECONDS,
      readAuthflowEnv({}).refreshBufferSeconds,
    );
    assert.equal(freshness.defaultBufferUnlessSet({}), freshness.DEFAULT_REFRESH_BUFFER_SECONDS);
    assert.equal(freshness.defaultBufferUnlessSet({ AUTHFLOW_REFRESH_BUFFER_SECONDS: ' ' }), 60);
    assert.equal(
      freshness.defaultBufferUnlessSet({ AUTHFLOW_REFRESH_BUFFER_SECONDS: '5' }),
      undefined,
    );
    assert.equal(await refreshBufferSeconds({}), 60);
    assert.equal(await refreshBufferSeconds({ AUTHFLOW_REFRESH_BUFFER_SECONDS: '5' }), 5);
    await assert.rejects(refreshBufferSeconds({ AUTHFLOW_REFRESH_BUFFER_SECONDS: 'soon' }));
  });

  test('fresh means not due for refresh under the core rule', () => {
    for (const [lifetime, age] of [
      [3600, 10],
      [3600, 3541],
      [3600, 3540],
      [30, 14],
      [30, 15],
      [1, 0],
      [1, 1],
      [0, 0],
    ] as const) {
      const tokens = set(lifetime, age);
      assert.equal(
        freshness.isFresh(tokens, 60, NOW),
        !isRefreshDue(tokens, 60, NOW),
        `lifetime ${lifetime}, age ${age}`,
      );
    }
    assert.equal(freshness.isFresh({ issuedAt: 0 }, 60, NOW), true, 'no expiry: always fresh');
  });

  test('the cheap read gives the active account set of a file-store profile only while it is fresh', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'authflow-fresh-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const profiles = (store: string) =>
      writeFile(
        join(dir, 'profiles.json'),
        JSON.stringify({ version: 1, profiles: { default: { store, activeAccount: 'alice' } } }),
      );
    const tokens = (value: unknown) =>
      writeFile(join(dir, 'tokens', 'default.json'), JSON.stringify({ tokens: { alice: value } }));
    await mkdir(join(dir, 'tokens'));
    await profiles('file');
    await tokens(set(3600, 10));
    assert.equal(storedToken.freshStoredToken({}, dir, 'default', NOW)?.accessToken, 'at-1');
    assert.equal(storedToken.freshStoredToken({}, dir, 'work', NOW), undefined, 'no such profile');
    assert.equal(
      storedToken.freshStoredToken({ AUTHFLOW_REFRESH_BUFFER_SECONDS: '5' }, dir, 'default', NOW),
      undefined,
      'a buffer from the environment is validated by the full path',
    );
    await tokens(set(3600, 3550));
    assert.equal(storedToken.freshStoredToken({}, dir, 'default', NOW), undefined, 'due');
    await tokens({ ...set(3600, 10), issuedAt: 'yesterday' });
    assert.equal(storedToken.freshStoredToken({}, dir, 'default', NOW), undefined, 'malformed');
    await tokens(set(3600, 10));
    await profiles('keyring');
    assert.equal(storedToken.freshStoredToken({}, dir, 'default', NOW), undefined, 'keychain');
    await writeFile(join(dir, 'profiles.json'), '{"profiles": ');
    assert.equal(storedToken.freshStoredToken({}, dir, 'default', NOW), undefined, 'corrupt');
  });
});
