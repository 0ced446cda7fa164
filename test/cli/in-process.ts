// Runs `authflow` commands inside the test process, through the same entry as the executable
// (`runCli` of src/cli/root.ts) with a context of the test's own: its environment, config dir,
// standard input, clock, and a stop button in place of Ctrl-C. Output is captured as the process
// would print it (same sanitising and JSON), without colours or spinners. A few end-to-end tests
// still run the real binary (harness.ts): the fast path, signals, several processes at once.
//
// Everything else is real: the config dir's files, the file token store, providers on loopback.
// Parts of the flow that read process.env instead of the context (the keychain's D-Bus address,
// AUTHFLOW_CHROMIUM_PATH) see the test process's: sign in with `--store file` (or `memory`)
// in-process, and leave `--window` and the keychain to the end-to-end tests.
import { Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import { runCli } from '../../src/cli/root.js';
import type { CliContext } from '../../src/cli/shared/context.js';
import { bufferedOutput } from '../../src/cli/shared/output.js';
import paths from '../../src/cli/shared/paths.cjs';
import { CommandOutput } from './command-output.js';
import { type CliResult, cliEnv } from './harness.js';

/** How to run a command in-process. */
export interface InProcessOptions {
  /** Environment variables over the scrubbed test environment of {@link cliEnv}. */
  env?: Record<string, string | undefined>;
  /** What standard input holds (piped, not a terminal); empty by default. */
  stdin?: string;
  /** The clock, in epoch milliseconds (default `Date.now`). */
  now?: () => number;
}

/** A command running in the test process. */
export class InProcessRun extends CommandOutput {
  /** Resolves when the command ends, like a process's exit (`signal` is always `null`). */
  readonly exit: Promise<CliResult>;
  readonly #stopListeners = new Set<(signal: NodeJS.Signals) => void>();
  #done = false;
  protected readonly endedText = 'The command ended';

  constructor(args: string[], configDir: string, options: InProcessOptions = {}) {
    super();
    const env = cliEnv(configDir, options.env);
    const context: CliContext = {
      env,
      configDir: paths.configDir(env),
      out: bufferedOutput((stream, text) => this.append(stream, text)),
      stdin: Readable.from([Buffer.from(options.stdin ?? '')]),
      now: options.now ?? (() => Date.now()),
      onStop: (listener) => {
        this.#stopListeners.add(listener);
        return () => this.#stopListeners.delete(listener);
      },
    };
    this.exit = runCli(args, context).then((code) => {
      this.#done = true;
      this.wake();
      return { code, signal: null, stdout: this.stdout, stderr: this.stderr };
    });
  }

  /**
   * Stops the command as Ctrl-C would. Once only: a second Ctrl-C during `login` ends the
   * process at once (`process.exit`), which here would be the test runner's.
   */
  stop(signal: NodeJS.Signals = 'SIGINT'): void {
    for (const listener of [...this.#stopListeners]) listener(signal);
  }

  protected ended(): boolean {
    return this.#done;
  }
}

/** Runs a command in-process to its end. */
export function runCommand(
  args: string[],
  configDir: string,
  options: InProcessOptions = {},
): Promise<CliResult> {
  return new InProcessRun(args, configDir, options).exit;
}

/** Starts a command in-process; stopped (as by Ctrl-C) and awaited after the test. */
export function startCommand(
  t: TestContext,
  args: string[],
  configDir: string,
  options: InProcessOptions = {},
): InProcessRun {
  const run = new InProcessRun(args, configDir, options);
  t.after(async () => {
    run.stop();
    await run.exit;
  });
  return run;
}
