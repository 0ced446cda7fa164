/**
 * The one sanitiser for text bound for a terminal. Claims, device codes, verification URIs and
 * error texts come from providers (or from anyone who can answer in their place): an escape
 * sequence in them could rewrite the screen, hide text, set the window title or plant a
 * hyperlink. The output layer (`output.ts`) runs every line through {@link terminalSafe};
 * values printed inside one line also go through it with `newlines: false`, so a claim cannot
 * start a line of its own either.
 *
 * @module
 */

/** Options for {@link terminalSafe}. */
export interface TerminalSafeOptions {
  /** Keep line feeds and tabs (our own multi-line messages). Default `true`; `false` turns them into spaces. */
  newlines?: boolean;
}

const ESC = 0x1b;
const BEL = 0x07;
const ST = 0x9c;

/** Unicode format characters that reorder or hide text (bidi overrides and isolates, marks). */
function isBidiControl(code: number): boolean {
  return (
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/** Index after a control string (OSC, DCS, SOS, PM, APC) starting at `i`: up to BEL, ESC \ or ST. */
function skipControlString(text: string, i: number): number {
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === BEL || code === ST) return i + 1;
    if (code === ESC) return text.charCodeAt(i + 1) === 0x5c ? i + 2 : i + 1;
    i += 1;
  }
  return i;
}

/** Index after a CSI sequence's parameters, intermediates and final byte, starting at `i`. */
function skipCsi(text: string, i: number): number {
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code <= 0x3f) i += 1;
    else return code >= 0x40 && code <= 0x7e ? i + 1 : i;
  }
  return i;
}

/**
 * `text` without escape sequences (CSI, OSC, DCS and the rest, 7-bit and 8-bit), control
 * characters (C0 but line feed and tab, DEL, C1) and bidirectional-override characters.
 * One pass, linear in the length of `text`.
 */
export function terminalSafe(text: string, options: TerminalSafeOptions = {}): string {
  const newlines = options.newlines ?? true;
  let out = '';
  let start = 0;
  let i = 0;
  const drop = (next: number, replacement = '') => {
    out += text.slice(start, i) + replacement;
    i = next;
    start = next;
  };
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code < 0x7f) {
      i += 1;
    } else if (code === 0x0a || code === 0x09) {
      if (newlines) i += 1;
      else drop(i + 1, ' ');
    } else if (code === ESC) {
      const next = text.charCodeAt(i + 1);
      if (next === 0x5b) drop(skipCsi(text, i + 2));
      else if (next === 0x5d || next === 0x50 || next === 0x58 || next === 0x5e || next === 0x5f) {
        drop(skipControlString(text, i + 2));
      } else {
        // ESC, intermediates (0x20-0x2f), then one final byte (e.g. ESC ( B, ESC c).
        let j = i + 1;
        while (j < text.length && text.charCodeAt(j) >= 0x20 && text.charCodeAt(j) <= 0x2f) j++;
        const last = text.charCodeAt(j);
        drop(last >= 0x30 && last <= 0x7e ? j + 1 : j);
      }
    } else if (code === 0x9b) {
      drop(skipCsi(text, i + 1));
    } else if (code === 0x9d || code === 0x90 || code === 0x98 || code === 0x9e || code === 0x9f) {
      drop(skipControlString(text, i + 1));
    } else if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || isBidiControl(code)) {
      drop(i + 1);
    } else if (code === 0x2028 || code === 0x2029) {
      drop(i + 1, newlines ? '\n' : ' ');
    } else {
      i += 1;
    }
  }
  return start === 0 ? text : out + text.slice(start);
}
