// The refresh rule (src/tokens/refresh-due.ts), and its CommonJS mirror used by the `authflow`
// executable's fast path (src/cli/shared/token-freshness.cts): same answers on generated token sets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import mirror from '../../src/cli/shared/token-freshness.cjs';
import {
  effectiveRefreshBuffer,
  isRefreshDue,
  isStillValid,
  MIN_REFRESH_DELAY_MS,
  refreshDelayMs,
} from '../../src/tokens/refresh-due.js';
import type { OAuthTokenSet } from '../../src/tokens/token-set.js';

const ISSUED = 1_800_000_000;
const set = (lifetime: number | undefined, issuedAt = ISSUED): OAuthTokenSet => ({
  accessToken: 'at',
  tokenType: 'Bearer',
  refreshToken: 'rt',
  issuedAt,
  expiresAt: lifetime === undefined ? undefined : issuedAt + lifetime,
});
const at = (seconds: number) => (ISSUED + seconds) * 1000;

describe('the refresh rule', () => {
  it('SLT-00a a buffer larger than the lifetime is capped at half of it: a 30 s token with a 60 s buffer is due after 15 s, not at once', () => {
    assert.equal(effectiveRefreshBuffer(set(30), 60), 15);
    assert.equal(isRefreshDue(set(30), 60, at(0)), false);
    assert.equal(isRefreshDue(set(30), 60, at(14.9)), false);
    assert.equal(isRefreshDue(set(30), 60, at(15)), true);
    // A long-lived token keeps the full buffer.
    assert.equal(effectiveRefreshBuffer(set(3600), 60), 60);
    assert.equal(isRefreshDue(set(3600), 60, at(3539)), false);
    assert.equal(isRefreshDue(set(3600), 60, at(3540)), true);
    // Infinity: as early as allowed (deploy mode's /auth/refresh).
    assert.equal(isRefreshDue(set(3600), Number.POSITIVE_INFINITY, at(1799)), false);
    assert.equal(isRefreshDue(set(3600), Number.POSITIVE_INFINITY, at(1800)), true);
  });

  it('SLT-00b expired sets are always due, sets without expiry never; bad buffers count as 0', () => {
    assert.equal(isRefreshDue(set(-10), 0, at(0)), true, 'expired before it was issued');
    assert.equal(isRefreshDue(set(0), 60, at(0)), true, 'issued expired');
    assert.equal(isRefreshDue(set(undefined), 60, at(1e9)), false);
    assert.equal(refreshDelayMs(set(undefined), 60), undefined);
    assert.equal(effectiveRefreshBuffer(set(100), Number.NaN), 0);
    assert.equal(effectiveRefreshBuffer(set(100), -5), 0);
  });

  it('SLT-00c one-second tokens are not due twice in one second; every wait is at least MIN_REFRESH_DELAY_MS', () => {
    assert.equal(isRefreshDue(set(1), 60, at(0.9)), false);
    assert.equal(isRefreshDue(set(1), 60, at(1)), true);
    assert.equal(refreshDelayMs(set(30), 60, at(40)), MIN_REFRESH_DELAY_MS, 'overdue');
    assert.equal(refreshDelayMs(set(0), 60, at(0)), MIN_REFRESH_DELAY_MS, 'issued expired');
    assert.equal(refreshDelayMs(set(30), 60, at(5)), 10_000);
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: -100, max: 10 ** 8 }), { nil: undefined }),
        fc.double({ min: -10, max: 10 ** 6, noNaN: true }),
        fc.double({ min: -100, max: 10 ** 8, noNaN: true }),
        (lifetime, buffer, elapsed) => {
          const delay = refreshDelayMs(set(lifetime), buffer, at(elapsed));
          return delay === undefined || delay >= MIN_REFRESH_DELAY_MS;
        },
      ),
    );
  });

  it('SLT-00d a set someone else just stored is used while it has not expired', () => {
    assert.equal(isStillValid(set(3), at(2.9)), true);
    assert.equal(isStillValid(set(3), at(3)), false);
    assert.equal(isStillValid(set(undefined), at(1e9)), true);
  });

  it("SLT-00e the CLI fast path's CommonJS mirror gives the same answers", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000_000 }),
        fc.option(fc.integer({ min: -100, max: 10 ** 7 }), { nil: undefined }),
        fc.oneof(fc.integer({ min: -5, max: 10 ** 5 }), fc.constant(Number.NaN)),
        fc.integer({ min: -100_000, max: 10 ** 10 }),
        (issuedAt, lifetime, buffer, elapsedMs) => {
          const tokens = set(lifetime, issuedAt);
          const now = issuedAt * 1000 + elapsedMs;
          return (
            mirror.isRefreshDue(tokens.expiresAt, tokens.issuedAt, buffer, now) ===
            isRefreshDue(tokens, buffer, now)
          );
        },
      ),
      { numRuns: 5000 },
    );
  });
});
