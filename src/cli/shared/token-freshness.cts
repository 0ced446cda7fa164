/**
 * The refresh rule of `src/tokens/refresh-due.ts` for the `authflow` executable's CommonJS
 * fast path (`bin.cts`), which must not start the ESM loader to import it. Same rule, same
 * results: `test/unit/refresh-due.test.ts` checks that they agree on generated token sets.
 *
 * @module
 */

/** Whether a token set (`expiresAt`, `issuedAt` in epoch seconds) is due for refresh. */
function isRefreshDue(
  expiresAt: number | undefined,
  issuedAt: number,
  bufferSeconds: number,
  nowMs: number,
): boolean {
  if (expiresAt === undefined) return false;
  const buffer = Math.min(Math.max(bufferSeconds || 0, 0), Math.max(0, expiresAt - issuedAt) * 0.5);
  const due = Math.min(expiresAt, Math.max(expiresAt - buffer, issuedAt + 1));
  return due * 1000 <= nowMs;
}

export = { isRefreshDue };
