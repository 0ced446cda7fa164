/**
 * What every command is given.
 *
 * @module
 */
import type { Output } from './output.js';

/** The environment a command runs in. */
export interface CliContext {
  /** Environment variables. */
  env: NodeJS.ProcessEnv;
  /** Where to write. */
  out: Output;
  /** The config directory (profiles.json, token files, locks). */
  configDir: string;
}

/** A command module: its help text and its entry point, which resolves the exit code. */
export interface CommandModule {
  /** `--help` text, with examples. */
  help: string;
  /** Runs the command with the arguments after its name. */
  run(args: string[], context: CliContext): Promise<number>;
}
