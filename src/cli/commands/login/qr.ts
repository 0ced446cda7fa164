/**
 * A QR code for the terminal, so a phone can open the device-flow page.
 *
 * @module
 */

/** The QR code of `text` as lines of Unicode half blocks (two rows of modules per line). */
export async function terminalQrCode(text: string): Promise<string> {
  // Loaded only when a device flow shows a code: `authflow token` never pays for it.
  const { renderUnicodeCompact } = await import('uqr');
  return renderUnicodeCompact(text, { border: 2 });
}
