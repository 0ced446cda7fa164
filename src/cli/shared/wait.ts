/**
 * Waiting for the user to stop a command that runs until stopped (`serve`, `dev-provider`).
 *
 * @module
 */
import type { CliContext } from './context.js';

/** Resolves with the signal's name when the user stops the command (Ctrl-C or SIGTERM). */
export function untilStopped(context: CliContext): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const off = context.onStop((signal) => {
      off();
      resolve(signal);
    });
  });
}
