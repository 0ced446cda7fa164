/**
 * What every command is given: its whole environment, so that a command runs the same in the
 * `authflow` process and inside a test (`test/cli/in-process.ts` runs commands this way, as gh
 * does with its `runF`).
 *
 * @module
 */
import { type Output, processOutput } from './output.js';
import paths from './paths.cjs';

/** Standard input as commands read it (the client secret of `login --client-secret-stdin`). */
export type Stdin = NodeJS.ReadableStream & {
  /** Whether it is a terminal (then the secret is read at a hidden prompt). */
  isTTY?: boolean;
  /** Terminal only: raw mode, so that typed characters are not echoed. */
  setRawMode?(mode: boolean): unknown;
};

/** The environment a command runs in. */
export interface CliContext {
  /** Environment variables. */
  env: NodeJS.ProcessEnv;
  /** Where to write. */
  out: Output;
  /** The config directory (profiles.json, token files, locks). */
  configDir: string;
  /** Standard input. */
  readonly stdin: Stdin;
  /** The clock, in epoch milliseconds. */
  now(): number;
  /**
   * Calls `listener` when the user stops the command (Ctrl-C, or SIGTERM), until the returned
   * function is called.
   */
  onStop(listener: (signal: NodeJS.Signals) => void): () => void;
}

/** A command module: its help text and its entry point, which resolves the exit code. */
export interface CommandModule {
  /** `--help` text, with examples. */
  help: string;
  /** Runs the command with the arguments after its name. */
  run(args: string[], context: CliContext): Promise<number>;
}

/** The context of the `authflow` process: its environment, streams, clock and signals. */
export function processContext(): CliContext {
  return {
    env: process.env,
    out: processOutput(),
    configDir: paths.configDir(),
    // A getter: creating `process.stdin` costs time `authflow token` does not have.
    get stdin() {
      return process.stdin;
    },
    now: () => Date.now(),
    onStop(listener) {
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
  };
}
