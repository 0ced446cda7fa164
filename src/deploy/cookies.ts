/**
 * Cookie header parsing and Set-Cookie serialisation, bounded and never throwing: a
 * malformed or hostile Cookie header yields "no cookie", not an exception.
 *
 * @module
 */

/** Cookie headers longer than this are ignored as a whole (browsers send at most a few KB). */
const MAX_COOKIE_HEADER = 16_384;

/**
 * Every value sent under `name` in the request's Cookie header, in order. Several values mean
 * several cookies with the same name (different paths or domains): callers treat that as
 * ambiguous. Values are not percent-decoded: authflow's own cookies are base64url.
 */
export function readCookie(request: Request, name: string): string[] {
  const values: string[] = [];
  const header = request.headers.get('cookie');
  if (header !== null && header.length <= MAX_COOKIE_HEADER) {
    forEachCookie(header, name, (value) => values.push(value));
  }
  return values;
}

/** The single value of a cookie, or `undefined` when it is absent or sent more than once. */
export function readSingleCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie');
  if (header === null || header.length > MAX_COOKIE_HEADER) return undefined;
  // Runs on every request behind the session middleware: one scan, no array of the parts.
  let found: string | undefined;
  let count = 0;
  forEachCookie(header, name, (value) => {
    found = value;
    count++;
  });
  return count === 1 ? found : undefined;
}

/**
 * The value sent under `name` when it is sent once, every distinct value in order when it is
 * sent several times (a cookie planted from a sibling subdomain or under another path next to
 * the real one: the caller keeps the one whose signature verifies), `undefined` when absent.
 * One scan; an array only in the rare duplicate case.
 */
export function readCookieOnce(request: Request, name: string): string | string[] | undefined {
  const header = request.headers.get('cookie');
  if (header === null || header.length > MAX_COOKIE_HEADER) return undefined;
  let found: string | string[] | undefined;
  let seen: Set<string> | undefined;
  forEachCookie(header, name, (value) => {
    if (found === undefined) {
      found = value;
    } else if (typeof found === 'string') {
      if (found !== value) found = [found, value];
    } else {
      seen ??= new Set(found);
      if (!seen.has(value)) {
        seen.add(value);
        found.push(value);
      }
    }
  });
  return found;
}

/**
 * Calls `onValue` with each value sent under `name` in a Cookie header, in order. Linear in
 * the header: the next `=` is searched for once and reused, never re-scanned for each of
 * many `;`-separated parts that have none (`a;a;a;…;x=1` once made this quadratic).
 */
function forEachCookie(header: string, name: string, onValue: (value: string) => void): void {
  let start = 0;
  let eq = header.indexOf('=');
  while (start < header.length && eq >= 0) {
    let end = header.indexOf(';', start);
    if (end < 0) end = header.length;
    if (eq < start) eq = header.indexOf('=', start);
    if (eq >= 0 && eq < end && header.slice(start, eq).trim() === name) {
      let value = header.slice(eq + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
        value = value.slice(1, -1);
      }
      onValue(value);
    }
    start = end + 1;
  }
}

/** Attributes of a Set-Cookie header. */
export interface CookieAttributes {
  /** Cookie path. */
  path: string;
  /** Lifetime in seconds; 0 deletes the cookie. Omitted = a browser-session cookie. */
  maxAge?: number;
  /** Send only over HTTPS. */
  secure: boolean;
  /** SameSite policy. */
  sameSite: 'Lax' | 'Strict';
}

/** A Set-Cookie header value. Always HttpOnly: authflow's cookies are never for scripts. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  let cookie = `${name}=${value}; Path=${attributes.path}; HttpOnly; SameSite=${attributes.sameSite}`;
  if (attributes.maxAge !== undefined) cookie += `; Max-Age=${Math.floor(attributes.maxAge)}`;
  if (attributes.maxAge === 0) cookie += '; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  if (attributes.secure) cookie += '; Secure';
  return cookie;
}
