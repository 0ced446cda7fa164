/**
 * A QR code for the terminal, when the optional `uqr` package is installed. Without it,
 * nothing is drawn (the URL and code are printed anyway).
 *
 * @module
 */

/** The QR code of `text` as lines of Unicode half blocks, or `undefined` when `uqr` is missing. */
export async function terminalQrCode(text: string): Promise<string | undefined> {
  try {
    // A variable specifier keeps TypeScript from requiring the optional package at build time.
    const specifier = 'uqr';
    const uqr = (await import(specifier)) as { renderUnicodeCompact?: (data: string) => string };
    return uqr.renderUnicodeCompact?.(text);
  } catch {
    return undefined;
  }
}
