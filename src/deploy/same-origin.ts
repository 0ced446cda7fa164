/**
 * Cross-site request checks for state-changing routes (`POST /refresh`, `POST /logout`).
 *
 * @module
 */

/**
 * Whether a request comes from one of `allowedOrigins`. Uses `Origin` when present, else
 * `Sec-Fetch-Site: same-origin`, else the `Referer`'s origin; with none of them it fails closed.
 *
 * The opaque `Origin: null` passes only together with `Sec-Fetch-Site: same-origin`: a form
 * posted from a page served with `Referrer-Policy: no-referrer` (helmet's default) carries
 * exactly that, while the other senders of `null` (sandboxed frames, `data:` and `file:`
 * documents, cross-origin redirects) have an opaque or foreign origin, which fetch metadata
 * never calls same-origin.
 */
export function isSameOriginRequest(
  request: Request,
  allowedOrigins: ReadonlySet<string>,
): boolean {
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== 'null') return allowedOrigins.has(origin);
  const fetchSite = request.headers.get('sec-fetch-site');
  if (fetchSite !== null) {
    return fetchSite === 'same-origin' && refererAllowedOrAbsent(request, allowedOrigins);
  }
  if (origin !== null) return false;
  const referer = request.headers.get('referer');
  return referer !== null && allowedOrigins.has(refererOrigin(referer));
}

function refererAllowedOrAbsent(request: Request, allowedOrigins: ReadonlySet<string>): boolean {
  const referer = request.headers.get('referer');
  return referer === null || allowedOrigins.has(refererOrigin(referer));
}

/**
 * The origin part of a Referer: everything before the path. A browser's Referer is a
 * serialised URL (lower-case scheme and host, no default port, a path of at least `/`), so
 * this is exactly the origin it names; anything else yields text that matches no allowed
 * origin. No URL parsing: that costs tens of times more on hostile text (`http://a@@@…`).
 */
function refererOrigin(referer: string): string {
  const authority = referer.indexOf('://');
  if (authority < 0) return '';
  const path = referer.indexOf('/', authority + 3);
  return path < 0 ? referer : referer.slice(0, path);
}
