/**
 * A one-line spinner on stderr, only on a terminal. Elsewhere it prints its text once.
 *
 * @module
 */
import { forTerminal, type Output } from '../../shared/output.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A running spinner. */
export interface Spinner {
  /** Clears the line and stops. Safe to call twice. */
  stop(): void;
}

/** `m:ss` for a number of seconds. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * Shows `text()` behind a spinner, refreshed every 100 ms. When the output is not
 * interactive, prints `text()` once as a plain line instead.
 */
export function startSpinner(out: Output, text: () => string): Spinner {
  if (!out.interactive) {
    out.err(text());
    return { stop() {} };
  }
  let frame = 0;
  const draw = () => {
    process.stderr.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${forTerminal(text())}`);
  };
  draw();
  const timer = setInterval(draw, 100);
  timer.unref();
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      process.stderr.write('\r\x1b[2K');
    },
  };
}
