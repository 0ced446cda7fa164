/**
 * Validation of the `returnTo` parameter of `/auth/login`, against open redirects.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9700.html#section-4.11 RFC 9700 §4.11, open redirection}
 * @module
 */

/** Longest `returnTo` accepted. */
const MAX_LENGTH = 2048;

/**
 * Returns `returnTo` normalised as a same-origin path (`/path?query#hash`), or `undefined`
 * when it is anything else: absolute or protocol-relative URLs (`https://…`, `//host`,
 * `/\host`), other schemes (`javascript:`), backslashes, whitespace or control characters
 * (tabs and newlines are stripped by URL parsers, turning `/\t/evil` into `//evil`),
 * non-ASCII, percent-encoded variants of any of these (decoded repeatedly), malformed
 * percent-encoding, or paths that leave `origin` after resolution.
 *
 * @param returnTo The raw parameter value (already decoded once from the query string).
 * @param origin The app's public origin, e.g. `https://app.example.com`.
 *
 * @example
 * ```ts
 * safeReturnTo('/reports?month=5', 'https://app.example.com'); // '/reports?month=5'
 * safeReturnTo('//evil.example', 'https://app.example.com'); // undefined
 * safeReturnTo('/%2F%2Fevil.example', 'https://app.example.com'); // undefined
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc9700.html#section-4.11 RFC 9700 §4.11, open redirection}
 */
export function safeReturnTo(
  returnTo: string | null | undefined,
  origin: string,
): string | undefined {
  if (typeof returnTo !== 'string' || returnTo.length === 0 || returnTo.length > MAX_LENGTH) {
    return undefined;
  }
  if (!isPlainPath(returnTo) || !decodesSafely(returnTo)) return undefined;
  let url: URL;
  try {
    url = new URL(returnTo, origin);
  } catch {
    return undefined;
  }
  if (url.origin !== origin) return undefined;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Normalising can create what the input did not have: `/./%2F..` becomes `/%2F..`.
  return isPlainPath(path) && decodesSafely(path) ? path : undefined;
}

/**
 * Decodes until stable, so `%2F%2Fevil`, `%252F%252Fevil`, `/%09/evil` and friends are judged
 * as what a sloppy downstream decoder would finally see; every layer must be a safe path.
 */
function decodesSafely(value: string): boolean {
  let layer = value;
  for (let round = 0; round < 5; round++) {
    if (!isSafeDecodedLayer(layer)) return false;
    let decoded: string;
    try {
      decoded = decodeURIComponent(layer);
    } catch {
      return false;
    }
    if (decoded === layer) return true;
    layer = decoded;
  }
  return false;
}

/** A decoded layer: no control characters, and still one leading `/` not followed by `/` or `\`. */
function isSafeDecodedLayer(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\x00-\x1f\x7f]/.test(value)) return false;
  return value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\');
}

/** Printable ASCII only, starts with one `/` and no `\` anywhere. */
function isPlainPath(value: string): boolean {
  if (!/^[\x21-\x7e]+$/.test(value)) return false;
  if (value.includes('\\')) return false;
  return value.startsWith('/') && !value.startsWith('//');
}
