/**
 * fast-check settings shared by the fuzz tests. Reproduce a failure with
 * AUTHFLOW_FUZZ_SEED=<seed printed in the failure>; scale the runs (and any time cap) with
 * AUTHFLOW_FUZZ_RUNS=<factor>, default 1. Not a test file itself.
 */
import type { TestContext } from 'node:test';
import type fc from 'fast-check';

const SEED = process.env.AUTHFLOW_FUZZ_SEED ? Number(process.env.AUTHFLOW_FUZZ_SEED) : undefined;
const SCALE = Number(process.env.AUTHFLOW_FUZZ_RUNS ?? 1) || 1;

/**
 * fast-check parameters for one property: `runs` scaled, the seed (random unless replayed)
 * printed as a test diagnostic, stop at the first failure. With `timeCapMs`, generation also
 * stops after that long (scaled too), and stopping early is not a failure: slow machines run
 * fewer cases.
 */
export function fuzzParameters(
  t: TestContext,
  runs: number,
  options: { timeCapMs?: number } = {},
): fc.Parameters<unknown> {
  const seed = SEED ?? Math.floor(Math.random() * 2 ** 31);
  const numRuns = Math.max(1, Math.round(runs * SCALE));
  t.diagnostic(`fast-check seed ${seed} (AUTHFLOW_FUZZ_SEED=${seed} to replay), ${numRuns} runs`);
  return {
    numRuns,
    seed,
    endOnFailure: true,
    ...(options.timeCapMs === undefined
      ? {}
      : { interruptAfterTimeLimit: options.timeCapMs * SCALE, markInterruptAsFailure: false }),
  };
}
