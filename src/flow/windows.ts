/**
 * How native mode shows the provider's sign-in page: the contract of window openers,
 * and the default one, the system browser.
 *
 * @module
 */

/** Window settings passed to `showWindow`. */
export interface WindowConfig {
  /** Window title. Default `Sign In`. */
  title: string;
  /** Width in pixels. Default 500. */
  width: number;
  /** Height in pixels. Default 700. */
  height: number;
  /** Centre the window on screen. Default true. */
  center: boolean;
  /** Let the user resize the window. Default true. */
  resizable: boolean;
  /** Further settings for custom openers. */
  [key: string]: unknown;
}

/** What a window opener is told besides the URL and the config. */
export interface WindowContext {
  /** Id of the flow run. */
  flowId: string;
  /** Aborted when the flow ends, whatever the outcome. */
  signal: AbortSignal;
  /** Call when the user closed the window: the flow then ends at once as `AuthFlowCancelled`. */
  windowClosed(): void;
}

/**
 * Opens the sign-in window at `url` and returns a label for {@link CloseWindow}, or nothing.
 * May be async.
 */
export type ShowWindow = (
  url: string,
  config: WindowConfig,
  context: WindowContext,
) => WindowLabel | Promise<WindowLabel>;

/** What `showWindow` returns: a label `closeWindow` is given back, or nothing. */
// biome-ignore lint/suspicious/noConfusingVoidType: openers written as `() => { ... }` return nothing.
export type WindowLabel = string | undefined | void;

/** Closes the window `showWindow` opened. May be async. */
export type CloseWindow = (label: string | undefined) => void | Promise<void>;

/** Window settings used where `runNative({ windowConfig })` sets none. */
export const DEFAULT_WINDOW_CONFIG: Readonly<WindowConfig> = Object.freeze({
  title: 'Sign In',
  width: 500,
  height: 700,
  center: true,
  resizable: true,
});

/** Options for {@link systemBrowserWindow}. */
export interface SystemBrowserOptions {
  /** Where to print the URL for users whose browser does not open. Default: standard error. Pass `null` to print nothing. */
  print?: ((line: string) => void) | null;
  /** Do not open a browser; only print the URL. Default false. */
  printOnly?: boolean;
}

/**
 * The default opener: the system browser (through the `open` package), with the URL
 * printed too so a user on a machine without a browser can copy it.
 *
 * @example
 * ```ts
 * await flow.runNative({ showWindow: systemBrowserWindow({ printOnly: true }) }); // e.g. over SSH
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-8.12 RFC 8252 §8.12: an external user-agent, not an embedded one}
 */
export function systemBrowserWindow(options: SystemBrowserOptions = {}): ShowWindow {
  const print =
    options.print === undefined
      ? (line: string) => process.stderr.write(`${line}\n`)
      : options.print;
  return async (url) => {
    print?.(`Open this URL in a browser to sign in:\n${url}`);
    if (options.printOnly) return 'system-browser';
    try {
      const { default: open } = await import('open');
      const child = await open(url, { wait: false });
      // A failed launcher must not crash the flow: the URL is printed already.
      child.on('error', () => {});
      child.unref();
    } catch {
      print?.('Could not open a browser; open the URL above yourself.');
    }
    return 'system-browser';
  };
}
