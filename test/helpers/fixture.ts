// The shape every "start it for this describe" fixture of the tests shares.
import { after, before } from 'node:test';

/**
 * node:test fixture: `start()` runs before the tests of the enclosing `describe` (or file) and
 * `stop()` after them, even when they fail. The returned function gives what `start` made,
 * inside tests; before that it throws, naming the fixture.
 *
 * @example
 * ```ts
 * export const useRedis = () => useStarted('useRedis()', startRedis, (redis) => redis.stop());
 * ```
 */
export function useStarted<T>(
  name: string,
  start: () => Promise<T>,
  stop: (value: T) => Promise<unknown>,
): () => T {
  let value: T | undefined;
  let started = false;
  before(async () => {
    value = await start();
    started = true;
  });
  after(async () => {
    if (started) await stop(value as T);
  });
  return () => {
    if (!started) throw new Error(`${name}: not started yet (use it inside tests).`);
    return value as T;
  };
}
