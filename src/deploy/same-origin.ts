/**
 * Cross-site request checks for state-changing routes (`POST /refresh`, `POST /logout`).
 *
 * @module
 */

/**
 * Whether a request comes from one of `allowedOrigins`. Uses `Origin` when present (and
 * rejects the opaque `null` origin), else `Sec-Fetch-Site: same-origin`, else the `Referer`'s
 * origin; with none of them it fails closed.
 */
export function isSameOriginRequest(
  request: Request,
  allowedOrigins: ReadonlySet<string>,
): boolean {
  const origin = request.headers.get('origin');
  if (origin !== null) return allowedOrigins.has(origin);
  const fetchSite = request.headers.get('sec-fetch-site');
  if (fetchSite !== null)
    return fetchSite === 'same-origin' && refererAllowedOrAbsent(request, allowedOrigins);
  const referer = request.headers.get('referer');
  return (
    referer !== null &&
    refererOrigin(referer) !== undefined &&
    allowedOrigins.has(refererOrigin(referer) as string)
  );
}

function refererAllowedOrAbsent(request: Request, allowedOrigins: ReadonlySet<string>): boolean {
  const referer = request.headers.get('referer');
  if (referer === null) return true;
  const origin = refererOrigin(referer);
  return origin !== undefined && allowedOrigins.has(origin);
}

function refererOrigin(referer: string): string | undefined {
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}
