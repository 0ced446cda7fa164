/**
 * Waiting for Ctrl-C (SIGINT) or SIGTERM, for commands that run until stopped.
 *
 * @module
 */

/** Resolves with the signal's name at the first SIGINT or SIGTERM. */
export function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
