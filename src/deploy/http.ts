/**
 * Response helpers: every answer of the auth routes is JSON `{ error, errorDescription }` on
 * failure (a page for a browser navigation), never cached, never sniffed, and never carries
 * internals.
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

/** What a deploy error answer says, kept for turning it into a page (see error-page.ts). */
export interface DeployError {
  status: number;
  error: DeployErrorCode;
  errorDescription: string;
}

// Which responses are our errors, so that the answer can become a page for a browser
// navigation at the one place that knows the request, without parsing the body back.
const deployErrors = new WeakMap<Response, DeployError>();

/**
 * A JSON error `{ error, errorDescription }`. The description is ours, never a provider's text.
 * A browser navigation gets it as a page instead (`forRequest` in error-page.ts).
 */
export function errorResponse(
  status: number,
  error: DeployErrorCode,
  errorDescription: string,
  headers: HeadersInit = {},
): Response {
  const response = json({ error, errorDescription }, status, headers);
  deployErrors.set(response, { status, error, errorDescription });
  return response;
}

/** The error `response` carries, when {@link errorResponse} made it. */
export function deployErrorOf(response: Response): DeployError | undefined {
  return deployErrors.get(response);
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
