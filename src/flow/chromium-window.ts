/**
 * `chromiumAppWindow()`: a window opener for native mode that shows the provider's page in a
 * dedicated Chromium, Chrome or Edge app window instead of a tab of the system browser.
 * It is still a full browser (an external user-agent in RFC 8252's terms, on its own
 * throwaway profile), never a web view the app could read.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { CloseWindow, ShowWindow } from './windows.js';

/** Options for {@link chromiumAppWindow}. */
export interface ChromiumAppWindowOptions {
  /** Path of the browser. Default: `$AUTHFLOW_CHROMIUM_PATH`, else the first installed Chromium, Chrome or Edge. */
  executablePath?: string;
  /** Extra command-line flags, e.g. `--headless` in tests. */
  args?: string[];
  /** Called once the browser is started, with its process and throwaway profile folder. */
  onLaunch?: (launched: { process: ChildProcess; userDataDir: string }) => void;
}

/** A dedicated sign-in window: a show/close pair for `runNative`. */
export interface ChromiumAppWindow {
  /** Opens the window at the sign-in URL: pass it as `runNative({ showWindow })`. */
  showWindow: ShowWindow;
  /** Closes it and deletes its throwaway profile. */
  closeWindow: CloseWindow;
  /**
   * Why the window could not be opened, when the browser was not found, could not start, or
   * exited with an error code (no display, a broken install...) instead of being closed by the
   * user; else `undefined`. The flow itself ends as cancelled either way.
   */
  launchFailure(): string | undefined;
}

const CANDIDATES: Record<string, string[]> = {
  linux: [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/usr/bin/microsoft-edge',
    '/snap/bin/chromium',
  ],
  darwin: [
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
    '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
  ],
  win32: [
    `${process.env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)'}\\Microsoft\\Edge\\Application\\msedge.exe`,
    `${process.env.PROGRAMFILES ?? 'C:\\Program Files'}\\Google\\Chrome\\Application\\chrome.exe`,
    `${process.env.LOCALAPPDATA ?? ''}\\Google\\Chrome\\Application\\chrome.exe`,
  ],
};

/** Finds an installed Chromium-family browser (`$AUTHFLOW_CHROMIUM_PATH` first), or `undefined`. */
export function findChromium(): string | undefined {
  const fromEnv = process.env.AUTHFLOW_CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  return (CANDIDATES[process.platform] ?? []).find((path) => existsSync(path));
}

/**
 * A dedicated sign-in window: an installed Chromium, Chrome or Edge started with
 * `--app=<url>` at the configured size, on a throwaway profile (no cookies shared with
 * the user's browser). When the user closes the window the flow ends as `AuthFlowCancelled`.
 *
 * @example
 * ```ts
 * const window = chromiumAppWindow();
 * try {
 *   await flow.runNative({ showWindow: window.showWindow, closeWindow: window.closeWindow });
 * } catch (error) {
 *   const why = window.launchFailure(); // e.g. no browser installed: fall back to the system one
 *   if (why === undefined) throw error;
 *   await flow.runNative();
 * }
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-8.12 RFC 8252 §8.12, embedded user-agents (why not a web view)}
 */
export function chromiumAppWindow(options: ChromiumAppWindowOptions = {}): ChromiumAppWindow {
  const windows = new Map<string, { child: ChildProcess; userDataDir: string }>();
  let counter = 0;
  let failure: string | undefined;

  const showWindow: ShowWindow = async (url, config, context) => {
    const executable = options.executablePath ?? findChromium();
    if (executable === undefined) {
      failure =
        'no Chromium, Chrome or Edge was found (install one, or set AUTHFLOW_CHROMIUM_PATH)';
      throw new ConfigurationError(
        'No Chromium, Chrome or Edge was found for the sign-in window. Install one, set AUTHFLOW_CHROMIUM_PATH, or use the system browser.',
      );
    }
    const userDataDir = await mkdtemp(join(tmpdir(), 'authflow-window-'));
    const args = [
      `--app=${url}`,
      `--window-size=${config.width},${config.height}`,
      `--user-data-dir=${userDataDir}`,
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-sync',
      ...(options.args ?? []),
    ];
    const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    // The last lines the browser printed say why it could not start (e.g. no display).
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const label = `chromium-${++counter}`;
    windows.set(label, { child, userDataDir });
    const name = basename(executable);
    const onGone = (code: number | null, error?: NodeJS.ErrnoException) => {
      // Closed by us (closeWindow) or by the user (exit 0, or a signal): not a failure.
      if (windows.has(label) && (error !== undefined || (code !== null && code !== 0))) {
        failure = error
          ? `${executable} could not be started (${error.code === 'ENOENT' ? 'not found' : (error.code ?? error.message)})`
          : `${name} exited with code ${code}${lastWords(stderr)}`;
      }
      // Closing the only window of a dedicated profile ends the browser process.
      if (!context.signal.aborted) context.windowClosed();
    };
    child.once('exit', (code) => onGone(code));
    child.once('error', (error) => onGone(null, error));
    options.onLaunch?.({ process: child, userDataDir });
    return label;
  };

  const closeWindow: CloseWindow = async (label) => {
    const entry = label === undefined ? undefined : windows.get(label);
    if (entry === undefined || label === undefined) return;
    windows.delete(label);
    const { child, userDataDir } = entry;
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 });
  };

  return { showWindow, closeWindow, launchFailure: () => failure };
}

/** `: <reason>` from a browser's stderr: its last logged error, else its last plain line. */
function lastWords(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const plain = lines.filter((line) => !line.startsWith('[')).at(-1);
  const logged = lines
    .filter((line) => line.includes(':ERROR:'))
    .at(-1)
    ?.replace(/^\[[^\]]*\]\s*/, '');
  const reason = logged ?? plain;
  return reason ? `: ${reason.slice(0, 200).replace(/\.$/, '')}` : '';
}
