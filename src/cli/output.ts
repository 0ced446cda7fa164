/**
 * Terminal output: colours only on a terminal and never with `NO_COLOR`; results on
 * stdout, progress and messages on stderr.
 *
 * @module
 */
import { writeSync } from 'node:fs';

/** Where the CLI writes, and whether it may decorate. */
export interface Output {
  /** Colours allowed on stdout (a terminal, no `NO_COLOR`, not `TERM=dumb`). */
  readonly color: boolean;
  /** Colours allowed on stderr (both streams terminals: none when stdout is piped). */
  readonly errColor: boolean;
  /** Spinners allowed (stdout and stderr are terminals, not `TERM=dumb`). */
  readonly interactive: boolean;
  /** Writes a line to stdout. */
  out(line: string): void;
  /** Writes a line to stderr. */
  err(line: string): void;
  /** Writes `value` as one line of JSON to stdout. */
  json(value: unknown): void;
  /** Waits until everything written has been flushed. */
  flush(): Promise<void>;
}

const STYLES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;

/** An ANSI style name. */
export type Style = keyof typeof STYLES;

/** `text` in `style` when `enabled`, else unchanged. */
export function paint(enabled: boolean, style: Style, text: string): string {
  if (!enabled) return text;
  const [on, off] = STYLES[style];
  return `\x1b[${on}m${text}\x1b[${off}m`;
}

/** Whether colour is allowed on a stream, per https://no-color.org. */
export function colorAllowed(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

const written = { stdout: false, stderr: false };
let stdoutStream = false;

/**
 * Writes to stdout with `writeSync(1)`: creating `process.stdout` (a socket for a pipe) costs
 * several ms, a tenth of `authflow token`'s budget. A full non-blocking pipe (EAGAIN) sends
 * the rest, and everything after it, through the stream; a closed pipe (EPIPE) drops output.
 */
function writeStdout(text: string): void {
  if (!stdoutStream) {
    let bytes = Buffer.from(text);
    try {
      while (bytes.length > 0) bytes = bytes.subarray(writeSync(1, bytes));
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return;
      if (code !== 'EAGAIN') throw error;
      stdoutStream = true;
      written.stdout = true;
      process.stdout.write(bytes);
      return;
    }
  }
  written.stdout = true;
  process.stdout.write(text);
}

/** The process's output. Touches `process.stderr` only when needed (creating it costs time). */
export function processOutput(env: NodeJS.ProcessEnv = process.env): Output {
  return {
    get color() {
      return colorAllowed(process.stdout, env);
    },
    get errColor() {
      return colorAllowed(process.stdout, env) && colorAllowed(process.stderr, env);
    },
    get interactive() {
      return process.stdout.isTTY === true && process.stderr.isTTY === true && env.TERM !== 'dumb';
    },
    out: (line) => writeStdout(`${line}\n`),
    err: (line) => {
      written.stderr = true;
      process.stderr.write(`${line}\n`);
    },
    json: (value) => writeStdout(`${JSON.stringify(value, null, 2)}\n`),
    flush: () =>
      Promise.all(
        (['stdout', 'stderr'] as const)
          .filter((name) => written[name])
          .map((name) => new Promise<void>((resolve) => process[name].write('', () => resolve()))),
      ).then(() => {}),
  };
}
