/**
 * Terminal output: colours only on a terminal and never with `NO_COLOR`; results on
 * stdout, progress and messages on stderr. Every line goes through {@link terminalSafe}
 * here, whatever it contains, so no escape sequence from a provider reaches the terminal.
 *
 * @module
 */
import { writeSync } from 'node:fs';
import { terminalSafe } from './terminal-text.js';

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

// Our own colours cross the sanitiser as markers carrying a per-process random key, which
// text from outside cannot forge; `styled()` turns them into escape sequences afterwards.
const MARK_OPEN = '\uE000';
const MARK_CLOSE = '\uE001';
let styleKey: string | undefined;
let markers: RegExp | undefined;

/** `text` in `style` when `enabled`, else unchanged. */
export function paint(enabled: boolean, style: Style, text: string): string {
  if (!enabled) return text;
  if (styleKey === undefined) {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    styleKey = Buffer.from(bytes).toString('hex');
    markers = new RegExp(`${MARK_OPEN}${styleKey}(\\d{1,2})${MARK_CLOSE}`, 'g');
  }
  const [on, off] = STYLES[style];
  const mark = (code: number) => `${MARK_OPEN}${styleKey}${code}${MARK_CLOSE}`;
  return `${mark(on)}${text}${mark(off)}`;
}

/** `line` made safe for a terminal, then with our own style markers turned into colours. */
export function forTerminal(line: string): string {
  const safe = terminalSafe(line);
  return markers === undefined ? safe : safe.replace(markers, '\x1b[$1m');
}

/** JSON with the characters JSON leaves raw but terminals act on (DEL, C1, bidi) escaped: same value, safe text. */
function safeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
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
    out: (line) => writeStdout(`${forTerminal(line)}\n`),
    err: (line) => {
      written.stderr = true;
      process.stderr.write(`${forTerminal(line)}\n`);
    },
    json: (value) => writeStdout(`${safeJson(value)}\n`),
    flush: () =>
      Promise.all(
        (['stdout', 'stderr'] as const)
          .filter((name) => written[name])
          .map((name) => new Promise<void>((resolve) => process[name].write('', () => resolve()))),
      ).then(() => {}),
  };
}

/**
 * An {@link Output} that hands every line to `write`, formatted exactly as {@link processOutput}
 * formats it (sanitised lines, safe JSON), without colours or spinners: for running a command
 * in-process, as the tests do.
 */
export function bufferedOutput(write: (stream: 'stdout' | 'stderr', text: string) => void): Output {
  return {
    color: false,
    errColor: false,
    interactive: false,
    out: (line) => write('stdout', `${forTerminal(line)}\n`),
    err: (line) => write('stderr', `${forTerminal(line)}\n`),
    json: (value) => write('stdout', `${safeJson(value)}\n`),
    flush: async () => {},
  };
}
