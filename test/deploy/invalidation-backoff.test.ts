// The delays of the session cache's invalidation channels between tries that keep failing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RETRY_DELAY_MS, retryDelay } from '../../src/deploy/node-invalidation-channel.js';

describe('retryDelay', () => {
  it('doubles from 1 s up to 30 s, and never goes under 1 s', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 100, 1e9].map(retryDelay),
      [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000],
    );
    assert.equal(MAX_RETRY_DELAY_MS, 30000);
    for (const odd of [0, -1, Number.NaN]) {
      const delay = retryDelay(odd);
      assert.ok(delay >= 1000 && delay <= MAX_RETRY_DELAY_MS, `${odd} → ${delay}`);
    }
  });
});
