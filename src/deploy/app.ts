/**
 * `createAuthApp`: the deploy-mode auth routes as one Web-standard handler, plus session
 * access and Hono middleware.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono';
import {
  type AccessToken,
  type GetAccessTokenOptions,
  getAccessToken,
  type RequestLike,
} from './access-token.js';
import { AuthContext } from './context.js';
import { forRequest } from './error-page.js';
import { type AuthEnv, createHonoMiddleware, type ProtectedHandler } from './hono.js';
import { errorResponse, storeUnavailable } from './http.js';
import { type AuthAppOptions, resolveOptions } from './options.js';
import { hasPermission } from './roles.js';
import { backchannelLogout } from './routes/backchannel-logout.js';
import { callback } from './routes/callback.js';
import { status, userinfo } from './routes/info.js';
import { login } from './routes/login.js';
import { logout } from './routes/logout.js';
import { refresh } from './routes/refresh.js';
import { isSameOriginRequest } from './same-origin.js';
import type { UserSession } from './session.js';
import { StoreUnavailableError } from './store-guard.js';
import { endUserSessions, listUserSessions } from './user-sessions.js';

/** Requests with a longer URL are refused with 400 before any work. */
const MAX_URL_LENGTH = 8192;

/** The object {@link createAuthApp} returns. */
export interface AuthApp {
  /**
   * Handles every request under `basePath` (404 JSON for unknown paths). `env` is what the
   * server adapter passes (e.g. `@hono/node-server`'s `{ incoming }`), used for the client IP.
   */
  fetch(request: Request, env?: unknown): Promise<Response>;
  /**
   * The request's session, or `null`. Reads the cookie and the store once. Rejects with
   * `StoreUnavailableError` when the store cannot be reached.
   */
  getSession(request: Request): Promise<UserSession | null>;
  /**
   * The signed-in user's access token, for calling APIs as the user: refreshed first when it
   * expires within `minValidity` (60) seconds, under the same cross-worker lock as
   * `/auth/refresh`. `null` when not signed in. Takes a Request or a Hono context. Rejects with
   * code `reauth_required` when the provider rejected the refresh (the session is ended), and
   * with `refresh_failed` / `token_expired` when the token has expired and cannot be renewed.
   * Never gives the refresh token.
   */
  getAccessToken(
    request: RequestLike,
    options?: GetAccessTokenOptions,
  ): Promise<AccessToken | null>;
  /** The user's live sessions (on every worker with Redis), oldest first. */
  listSessions(userId: string): Promise<UserSession[]>;
  /** Ends every session of the user ("sign out everywhere"); resolves how many were ended. */
  endSessions(userId: string): Promise<number>;
  /**
   * Hono middleware: serves the auth routes under `basePath`, and for every other request puts
   * the session (or `null`) on the context as `c.get('session')`.
   */
  middleware(): MiddlewareHandler<AuthEnv>;
  /** Hono middleware: 401 JSON for API requests, or a redirect to the login for page requests, when not signed in. */
  requireAuth(): MiddlewareHandler<AuthEnv>;
  /**
   * A Hono route handler that runs `handler(c, session)` only for a signed-in user, with the
   * same answers as `requireAuth()` otherwise: `app.get('/me', auth.protect((c, s) => c.json(s)))`.
   * One handler instead of a middleware chain, which Hono runs on its fastest path.
   */
  protect(handler: ProtectedHandler): (c: Context<AuthEnv>) => Response | Promise<Response>;
  /** Hono middleware: like `requireAuth`, then 403 unless the user has at least one of `roles`. */
  requireRole(...roles: string[]): MiddlewareHandler<AuthEnv>;
  /** Hono middleware: like `requireAuth`, then 403 unless the user has every one of `permissions`. */
  requirePermission(...permissions: string[]): MiddlewareHandler<AuthEnv>;
  /** Whether `session` has `permission` under this app's `rolePermissions`. */
  hasPermission(session: UserSession | null, permission: string): boolean;
  /** The login URL path, e.g. `/auth/login`. */
  readonly loginPath: string;
  /** Closes what the app opened itself (a Redis client created from a URL). */
  close(): Promise<void>;
}

type Route = (ctx: AuthContext, request: Request, env: unknown) => Promise<Response>;

const ROUTES: Record<string, { method: 'GET' | 'POST'; handler: Route; sameOrigin?: boolean }> = {
  '/login': { method: 'GET', handler: login },
  '/callback': { method: 'GET', handler: callback },
  '/refresh': { method: 'POST', handler: refresh, sameOrigin: true },
  '/logout': { method: 'POST', handler: logout, sameOrigin: true },
  '/userinfo': { method: 'GET', handler: userinfo },
  '/status': { method: 'GET', handler: status },
  // Server to server from the provider: no browser, so no same-origin check.
  '/backchannel-logout': { method: 'POST', handler: backchannelLogout },
};

/**
 * Creates the deploy-mode auth app. Throws `ConfigurationError` on missing or unsafe options
 * (a short `secret`, an http `baseUrl` on a public host, ...).
 *
 * Routes under `basePath` (default `/auth`): `GET /login`, `GET /callback`, `POST /refresh`,
 * `POST /logout`, `GET /userinfo`, `GET /status`, `POST /backchannel-logout`.
 *
 * @example
 * ```ts
 * const auth = createAuthApp({ provider, secret: process.env.AUTH_SECRET!, baseUrl: 'https://app.example.com' });
 * app.use(auth.middleware());
 * app.get('/admin', auth.requireRole('admin'), (c) => c.text('hi'));
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1 RFC 6749 §4.1, authorization code grant}
 * @see {@link https://www.rfc-editor.org/rfc/rfc7636.html RFC 7636, PKCE}
 * @see {@link https://www.rfc-editor.org/rfc/rfc9700.html RFC 9700, OAuth 2.0 security best current practice}
 * @see {@link https://openid.net/specs/openid-connect-backchannel-1_0.html OpenID Connect Back-Channel Logout}
 * @see {@link https://openid.net/specs/openid-connect-rpinitiated-1_0.html OpenID Connect RP-Initiated Logout}
 */
export function createAuthApp(options: AuthAppOptions): AuthApp {
  const resolved = resolveOptions(options);
  const ctx = new AuthContext(resolved);
  const { basePath } = resolved;

  async function handle(request: Request, env?: unknown): Promise<Response> {
    return forRequest(request, await answer(request, env), basePath);
  }

  async function answer(request: Request, env?: unknown): Promise<Response> {
    let route = 'unknown';
    try {
      if (request.url.length > MAX_URL_LENGTH) {
        return errorResponse(400, 'invalid_request', 'The request URL is too long.');
      }
      const path = new URL(request.url).pathname;
      const sub = path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : '';
      const entry = Object.hasOwn(ROUTES, sub) ? ROUTES[sub] : undefined;
      if (entry === undefined) {
        return errorResponse(
          404,
          'not_found',
          `No such auth route. See ${basePath}/login, /callback, /refresh, /logout, /userinfo, /status, /backchannel-logout.`,
        );
      }
      route = sub.slice(1);
      if (request.method !== entry.method) {
        return errorResponse(405, 'method_not_allowed', `Use ${entry.method} for ${path}.`, {
          allow: entry.method,
        });
      }
      if (entry.sameOrigin && !isSameOriginRequest(request, resolved.allowedOrigins)) {
        return errorResponse(
          403,
          'csrf_failed',
          'This request must come from the app itself (same origin).',
        );
      }
      return await entry.handler(ctx, request, env);
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        ctx.report(error, route);
        return storeUnavailable();
      }
      ctx.report(error, route);
      return errorResponse(500, 'internal_error', 'Something went wrong on the server. Try again.');
    }
  }

  // Not `async`: a session at hand costs one resolved Promise, a Redis read none extra.
  function getSession(request: Request): Promise<UserSession | null> {
    try {
      const session = ctx.readSession(request);
      return session instanceof Promise ? session : Promise.resolve(session);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  const checkPermission = (session: UserSession | null, permission: string) =>
    hasPermission(session, permission, resolved.rolePermissions);
  const hono = createHonoMiddleware({
    basePath,
    handle,
    readSession: (request) => ctx.readSession(request),
    hasPermission: checkPermission,
    report: (error, route) => ctx.report(error, route),
  });

  return {
    fetch: handle,
    getSession,
    getAccessToken: (request, options) => getAccessToken(ctx, request, options),
    listSessions: (userId) => listUserSessions(ctx, userId),
    endSessions: (userId) => endUserSessions(ctx, userId),
    ...hono,
    hasPermission: checkPermission,
    loginPath: `${basePath}/login`,
    close: async () => {
      const stores = await Promise.resolve(ctx.stores()).catch(() => undefined);
      await stores?.close();
    },
  };
}
