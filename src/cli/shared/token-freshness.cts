/**
 * "Is the stored token still fresh?" — the CLI's one answer, and its one default refresh
 * buffer. CommonJS (`.cts`) so that the `authflow` executable's fast path (`bin.cts`) uses it
 * without starting the ESM loader; the ESM commands import the same module
 * (`./token-freshness.cjs`), so the fast path, `authflow token`, `whoami` and the refresh under
 * the lock cannot disagree.
 *
 * The rule is the core's (`src/tokens/refresh-due.ts`), mirrored here because this module cannot
 * import ESM: `test/tokens/refresh-due.test.ts` checks that both give the same answers on generated
 * token sets, and `test/cli/shared/token-freshness.test.ts` that the default buffer is the
 * library's (`AUTHFLOW_REFRESH_BUFFER_SECONDS`' default).
 *
 * @module
 */

/**
 * Seconds before expiry at which the CLI refreshes when `AUTHFLOW_REFRESH_BUFFER_SECONDS` is not
 * set (the library's default too).
 */
const DEFAULT_REFRESH_BUFFER_SECONDS = 60;

/**
 * Whether a token set (`expiresAt`, `issuedAt` in epoch seconds) is due for refresh with a buffer
 * of `bufferSeconds`: the rule of `src/tokens/refresh-due.ts` (`isRefreshDue`), which caps the
 * buffer at half the token's lifetime and is never due before `issuedAt + 1`.
 */
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

/**
 * The refresh buffer when `AUTHFLOW_REFRESH_BUFFER_SECONDS` is unset or blank
 * ({@link DEFAULT_REFRESH_BUFFER_SECONDS}); `undefined` when it is set, for the ESM path to read
 * and validate it (an invalid value is a usage error there).
 */
function defaultBufferUnlessSet(env: NodeJS.ProcessEnv): number | undefined {
  return env.AUTHFLOW_REFRESH_BUFFER_SECONDS?.trim() ? undefined : DEFAULT_REFRESH_BUFFER_SECONDS;
}

/** Whether a stored token set can be used as it is, without a refresh, under `bufferSeconds`. */
function isFresh(
  tokens: { expiresAt?: number | undefined; issuedAt: number },
  bufferSeconds: number,
  nowMs: number = Date.now(),
): boolean {
  return !isRefreshDue(tokens.expiresAt, tokens.issuedAt, bufferSeconds, nowMs);
}

export = { DEFAULT_REFRESH_BUFFER_SECONDS, defaultBufferUnlessSet, isFresh, isRefreshDue };
