/**
 * Refusals as a person sees them: a browser navigation that is refused (401, 403, a failed
 * callback, ...) gets a small HTML page saying what happened and where to go on; API requests
 * keep the JSON answer. The one place that decides page or JSON.
 *
 * @module
 */
import { escapeHtml } from '../flow/html.js';
import { type DeployError, deployErrorOf } from './http.js';
import { safeReturnTo } from './return-to.js';

/**
 * The page's only style. Its hash is in the CSP (no 'unsafe-inline'); a test checks that the
 * two agree.
 */
export const PAGE_STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}' +
  'a{margin-right:1.5rem}small{color:#666}';
/** base64 of SHA-256 over {@link PAGE_STYLE}. */
export const PAGE_STYLE_HASH = 'sha256-PHShCZRxXkf03jnnncduN1YdB3KaIqdin4qFois9rdw=';

/** Nothing loads, nothing runs, no form posts elsewhere, no framing. */
const PAGE_CSP = `default-src 'none'; style-src '${PAGE_STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/**
 * A browser navigation (wants a page), as opposed to an API call (wants JSON): the
 * `Sec-Fetch-Mode` header where the browser sends it, else an `Accept` that names text/html.
 */
export function isNavigation(request: Request): boolean {
  const mode = request.headers.get('sec-fetch-mode');
  if (mode !== null) return mode === 'navigate';
  return (request.headers.get('accept') ?? '').includes('text/html');
}

/**
 * `response` as the request should get it: a deploy error becomes an HTML page for a browser
 * navigation; anything else (API requests, successful answers, redirects) is returned as is.
 * `basePath` is where the sign-in lives (e.g. `/auth`).
 */
export function forRequest(request: Request, response: Response, basePath: string): Response {
  const error = deployErrorOf(response);
  if (error === undefined || !isNavigation(request)) return response;
  const headers = new Headers(response.headers);
  headers.set('content-type', 'text/html; charset=utf-8');
  headers.set('content-security-policy', PAGE_CSP);
  headers.set('x-frame-options', 'DENY');
  return new Response(errorPageHtml(request, error, basePath), {
    status: response.status,
    headers,
  });
}

type Way = 'signIn' | 'signInAgain' | 'tryAgain' | 'home';

/** What each error says in the heading, and which ways on the page offers. */
function copyFor(error: DeployError['error']): { title: string; ways: Way[] } {
  switch (error) {
    case 'not_authenticated':
    case 'reauth_required':
    case 'refresh_failed':
    case 'refresh_unavailable':
      return { title: 'Please sign in', ways: ['signIn', 'home'] };
    case 'forbidden':
      return { title: 'You do not have access to this page', ways: ['home', 'signInAgain'] };
    case 'invalid_request':
    case 'invalid_state':
    case 'login_binding_failed':
    case 'provider_error':
    case 'validation_failed':
    case 'exchange_failed':
    case 'provider_unavailable':
      return { title: 'Sign-in did not complete', ways: ['signInAgain', 'home'] };
    case 'rate_limited':
      return { title: 'Too many attempts', ways: ['tryAgain', 'home'] };
    case 'store_unavailable':
      return { title: 'Temporarily unavailable', ways: ['tryAgain', 'home'] };
    case 'internal_error':
      return { title: 'Something went wrong', ways: ['tryAgain', 'home'] };
    case 'not_found':
    case 'method_not_allowed':
      return { title: 'Page not found', ways: ['home'] };
    default:
      return { title: 'Request refused', ways: ['home'] };
  }
}

function errorPageHtml(request: Request, error: DeployError, basePath: string): string {
  const url = new URL(request.url);
  // This page again, as a same-origin path: never `//host`, which a browser reads as another site.
  const here = safeReturnTo(`${url.pathname}${url.search}`, url.origin);
  // Back to this page after signing in, unless this page is one of the auth routes.
  const onAuthRoute = url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
  const login = `${basePath}/login`;
  const signIn =
    onAuthRoute || request.method !== 'GET' || here === undefined
      ? login
      : `${login}?returnTo=${encodeURIComponent(here)}`;
  const { title, ways } = copyFor(error.error);
  const links: Record<Way, string> = {
    signIn: `<a id="sign-in" href="${escapeHtml(signIn)}">Sign in</a>`,
    signInAgain: `<a id="sign-in" href="${escapeHtml(signIn)}">${
      error.error === 'forbidden' ? 'Sign in as someone else' : 'Sign in again'
    }</a>`,
    tryAgain: `<a id="try-again" href="${escapeHtml(request.method === 'GET' ? (here ?? '/') : '/')}">Try again</a>`,
    home: '<a id="home" href="/">Go to the home page</a>',
  };
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
<p id="description">${escapeHtml(error.errorDescription)}</p>
<p>${ways.map((way) => links[way]).join('')}</p>
<p><small>Error code: <code id="code">${escapeHtml(error.error)}</code> (HTTP ${error.status})</small></p>
</body></html>
`;
}
