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
  if (referer === null) return false;
  const from = refererOrigin(referer);
  return from !== undefined && allowedOrigins.has(from);
}

function refererAllowedOrAbsent(request: Request, allowedOrigins: ReadonlySet<string>): boolean {
  const referer = request.headers.get('referer');
  if (referer === null) return true;
  const origin = refererOrigin(referer);
  return origin !== undefined && allowedOrigins.has(origin);
}

function refererOrigin(referer: string): string | undefined {
  // URL.parse (Node 22+) is not in Node 20; a Referer is at most a few KB (header limits).
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}
