/**
 * Response helpers: every answer of the auth routes is JSON `{ error, errorDescription }` on
 * failure, never cached, never sniffed, and never carries internals.
 *
 * @module
 */

/** Error codes of the deploy routes' JSON answers. */
export type DeployErrorCode =
  | 'not_authenticated'
  | 'forbidden'
  | 'csrf_failed'
  | 'store_unavailable'
  | 'rate_limited'
  | 'invalid_request'
  | 'invalid_state'
  | 'login_binding_failed'
  | 'provider_error'
  | 'provider_unavailable'
  | 'validation_failed'
  | 'exchange_failed'
  | 'refresh_failed'
  | 'refresh_unavailable'
  | 'reauth_required'
  | 'not_found'
  | 'method_not_allowed'
  | 'internal_error';

const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** A JSON response with security headers. */
export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const response = new Response(JSON.stringify(body), { status, headers });
  response.headers.set('content-type', 'application/json; charset=utf-8');
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
  return response;
}

/** A JSON error `{ error, errorDescription }`. The description is ours, never a provider's text. */
export function errorResponse(
  status: number,
  error: DeployErrorCode,
  errorDescription: string,
  headers: HeadersInit = {},
): Response {
  return json({ error, errorDescription }, status, headers);
}

/** A 302 redirect with security headers. */
export function redirect(location: string, headers: HeadersInit = {}): Response {
  const response = new Response(null, { status: 302, headers });
  response.headers.set('location', location);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
  return response;
}

/** 503 for a store that cannot be reached. */
export function storeUnavailable(): Response {
  return errorResponse(
    503,
    'store_unavailable',
    'The session store is unavailable. Try again in a moment.',
    { 'retry-after': '1' },
  );
}
