// What a running `authflow` command printed, and waiting for a pattern in it: shared by the
// real binary (harness.ts, CliProcess) and the in-process runs (in-process.ts, InProcessRun).

/** Output of a command that is running, or has ended. */
export abstract class CommandOutput {
  stdout = '';
  stderr = '';
  readonly #waiters = new Set<() => void>();

  /** Whether the command has ended (then nothing more will be printed). */
  protected abstract ended(): boolean;

  /** What ended before a pattern was printed, for the error message ("The CLI exited"). */
  protected abstract readonly endedText: string;

  /** Adds printed text, and lets every waiter look at it. */
  protected append(stream: 'stdout' | 'stderr', text: string): void {
    this[stream] += text;
    this.wake();
  }

  /** Lets every waiter look again (on new output, and when the command ends). */
  protected wake(): void {
    for (const wake of this.#waiters) wake();
  }

  /** Resolves with the first match of `pattern` in stderr; rejects when the command ends first or after `timeoutMs`. */
  waitForStderr(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    return this.#waitFor('stderr', pattern, timeoutMs);
  }

  /** Resolves with the first match of `pattern` in stdout; rejects when the command ends first or after `timeoutMs`. */
  waitForStdout(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    return this.#waitFor('stdout', pattern, timeoutMs);
  }

  #waitFor(
    stream: 'stdout' | 'stderr',
    pattern: RegExp,
    timeoutMs: number,
  ): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this[stream]);
        if (match) return done(() => resolve(match));
        if (this.ended()) {
          return done(() =>
            reject(
              new Error(
                `${this.endedText} before printing ${pattern}.\nstderr: ${this.stderr}\nstdout: ${this.stdout}`,
              ),
            ),
          );
        }
      };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(
              new Error(`Timed out waiting for ${pattern} on ${stream}.\nstderr: ${this.stderr}`),
            ),
          ),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        settle();
      };
      this.#waiters.add(check);
      check();
    });
  }
}
