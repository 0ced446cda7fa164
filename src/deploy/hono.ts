/**
 * Hono middleware for apps built on Hono: `auth.middleware()` serves the auth routes and puts
 * the session on the context; `requireAuth()`, `requireRole()`, `requirePermission()` and
 * `protect()` guard routes. Not signed in: 401 JSON for API calls, a redirect to the login
 * for a page the browser navigates to; store down: 503.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono';

/**
 * A route handler that runs only for a signed-in user; see `protect`.
 *
 * @example
 * ```ts
 * app.get('/api/me', auth.protect((c, session) => c.json({ user: session.userId })));
 * ```
 */
export type ProtectedHandler = (
  c: Context<AuthEnv>,
  session: UserSession,
) => Response | Promise<Response>;

import { forRequest, isNavigation } from './error-page.js';
import { errorResponse, storeUnavailable } from './http.js';
import type { UserSession } from './session.js';
import { StoreUnavailableError } from './store-guard.js';

/**
 * The Hono environment authflow's middleware uses: `c.get('session')` is the session or `null`.
 *
 * @example
 * ```ts
 * const app = new Hono<AuthEnv>();
 * app.use(auth.middleware());
 * app.get('/', (c) => c.text(c.get('session') ? 'Welcome back' : 'Hello, stranger'));
 * ```
 */
export interface AuthEnv {
  Variables: {
    /** The signed-in user's session, or `null`. */
    session: UserSession | null;
  };
}

interface HonoDeps {
  basePath: string;
  handle(request: Request, env?: unknown): Promise<Response>;
  /** The session; synchronous when nothing needs waiting for. Fails with StoreUnavailableError. */
  readSession(request: Request): UserSession | null | Promise<UserSession | null>;
  hasPermission(session: UserSession | null, permission: string): boolean;
  /** Hands an error to the app's `onError` (the 503s of the middlewares too). */
  report(error: unknown, route: string): void;
}

/** What a Hono middleware resolves to: a Response that ends the request, or nothing. */
type Outcome = ReturnType<MiddlewareHandler<AuthEnv>>;

/** Builds the middleware factories of an auth app (internal: apps get them from `createAuthApp`). */
export function createHonoMiddleware(deps: HonoDeps) {
  const prefix = `${deps.basePath}/`;

  /** A refusal as `c`'s request should get it: a page for a browser navigation, else JSON. */
  const refuse = (c: Context<AuthEnv>, response: Response) =>
    forRequest(c.req.raw, response, deps.basePath);

  /** 503 when the store is down; any other error is the app's and goes on to Hono. */
  function storeDown(c: Context<AuthEnv>, error: unknown): Response {
    if (!(error instanceof StoreUnavailableError)) throw error;
    // The matched route's pattern (`/api/users/:id`), never the path with its values.
    deps.report(error, c.req.routePath);
    return refuse(c, storeUnavailable());
  }

  /**
   * Calls `use(c, session)` with the request's session, answering 503 when the store is down.
   * The session is read at most once per request: the first reader caches it on the context.
   * Synchronous when the session is at hand (memory store, cache hit), one `then` with Redis:
   * every Promise saved is a microtask hop (and async_hooks work) saved on each protected
   * request. `use` takes the context as an argument so that callers pass a function made once,
   * not a closure made per request.
   */
  function withSession<R>(
    c: Context<AuthEnv>,
    use: (c: Context<AuthEnv>, session: UserSession | null) => R,
  ): R | Response | Promise<Awaited<R> | Response> {
    const cached = c.get('session');
    if (cached !== undefined) return use(c, cached);
    let session: UserSession | null | Promise<UserSession | null>;
    try {
      session = deps.readSession(c.req.raw);
    } catch (error) {
      return storeDown(c, error);
    }
    if (!(session instanceof Promise)) {
      c.set('session', session);
      return use(c, session);
    }
    // `then` flattens a Promise that `use` returns; TypeScript cannot see that for a generic R.
    return session.then(
      (loaded) => {
        c.set('session', loaded);
        return use(c, loaded);
      },
      (error) => storeDown(c, error),
    ) as Promise<Awaited<R> | Response>;
  }

  /** A middleware that runs `check` with the session and goes on unless it answers. */
  function guarded(
    check: (c: Context<AuthEnv>, session: UserSession | null) => Response | undefined,
  ): MiddlewareHandler<AuthEnv> {
    return (c, next) => {
      const outcome = withSession(c, (_, session): Outcome => {
        const refusal = check(c, session);
        return refusal === undefined ? next() : Promise.resolve(refusal);
      });
      return outcome instanceof Response ? Promise.resolve(outcome) : outcome;
    };
  }

  const unauthenticated = (c: Context<AuthEnv>): Response => {
    if (isPageRequest(c.req.raw)) {
      const url = new URL(c.req.url);
      const returnTo = encodeURIComponent(`${url.pathname}${url.search}`);
      return new Response(null, {
        status: 302,
        headers: { location: `${prefix}login?returnTo=${returnTo}`, 'cache-control': 'no-store' },
      });
    }
    return refuse(c, errorResponse(401, 'not_authenticated', 'Not signed in. Sign in first.'));
  };

  return {
    middleware(): MiddlewareHandler<AuthEnv> {
      const load = guarded(() => undefined);
      return (c, next) => {
        if (c.req.path.startsWith(prefix)) return deps.handle(c.req.raw, c.env);
        return load(c, next);
      };
    },
    requireAuth(): MiddlewareHandler<AuthEnv> {
      return guarded((c, session) => (session === null ? unauthenticated(c) : undefined));
    },
    protect(handler: ProtectedHandler): (c: Context<AuthEnv>) => Response | Promise<Response> {
      // Made once: a protected request allocates no closure of its own.
      const answer = (c: Context<AuthEnv>, session: UserSession | null) =>
        session === null ? unauthenticated(c) : handler(c, session);
      return (c) => withSession(c, answer);
    },
    requireRole(...roles: string[]): MiddlewareHandler<AuthEnv> {
      return guarded((c, session) => {
        if (session === null) return unauthenticated(c);
        if (!roles.some((role) => session.roles.includes(role))) {
          return refuse(
            c,
            errorResponse(403, 'forbidden', `This needs one of the roles: ${roles.join(', ')}.`),
          );
        }
        return undefined;
      });
    },
    requirePermission(...permissions: string[]): MiddlewareHandler<AuthEnv> {
      return guarded((c, session) => {
        if (session === null) return unauthenticated(c);
        if (!permissions.every((permission) => deps.hasPermission(session, permission))) {
          return refuse(
            c,
            errorResponse(
              403,
              'forbidden',
              `This needs the permissions: ${permissions.join(', ')}.`,
            ),
          );
        }
        return undefined;
      });
    },
  };
}

/** A browser navigation that can follow a redirect to the login and back (GET or HEAD). */
function isPageRequest(request: Request): boolean {
  return (request.method === 'GET' || request.method === 'HEAD') && isNavigation(request);
}
