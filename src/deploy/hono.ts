/**
 * Hono middleware for apps built on Hono.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono';
import { errorResponse, storeUnavailable } from './http.js';
import type { UserSession } from './session.js';
import { StoreUnavailableError } from './store-guard.js';

/** The Hono environment authflow's middleware uses: `c.get('session')` is the session or `null`. */
export interface AuthEnv {
  Variables: {
    /** The signed-in user's session, or `null`. */
    session: UserSession | null;
  };
}

interface HonoDeps {
  basePath: string;
  handle(request: Request, env?: unknown): Promise<Response>;
  getSession(request: Request): Promise<UserSession | null>;
  hasPermission(session: UserSession | null, permission: string): boolean;
}

/** Builds the middleware factories of an auth app. */
export function createHonoMiddleware(deps: HonoDeps) {
  const prefix = `${deps.basePath}/`;

  /** The session, read at most once per request (the first reader caches it on the context). */
  async function sessionOf(c: Context<AuthEnv>): Promise<UserSession | null> {
    const cached = c.get('session');
    if (cached !== undefined) return cached;
    const session = await deps.getSession(c.req.raw);
    c.set('session', session);
    return session;
  }

  /** Runs `check` with the session, answering 503 when the store is down. */
  function guarded(
    check: (c: Context<AuthEnv>, session: UserSession | null) => Response | undefined,
  ): MiddlewareHandler<AuthEnv> {
    return async (c, next) => {
      let session: UserSession | null;
      try {
        session = await sessionOf(c);
      } catch (error) {
        if (error instanceof StoreUnavailableError) return storeUnavailable();
        throw error;
      }
      const refusal = check(c, session);
      if (refusal !== undefined) return refusal;
      await next();
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
    return errorResponse(401, 'not_authenticated', 'Not signed in. Sign in first.');
  };

  return {
    middleware(): MiddlewareHandler<AuthEnv> {
      const load = guarded(() => undefined);
      return async (c, next) => {
        if (c.req.path.startsWith(prefix)) return deps.handle(c.req.raw, c.env);
        return load(c, next);
      };
    },
    requireAuth(): MiddlewareHandler<AuthEnv> {
      return guarded((c, session) => (session === null ? unauthenticated(c) : undefined));
    },
    requireRole(...roles: string[]): MiddlewareHandler<AuthEnv> {
      return guarded((c, session) => {
        if (session === null) return unauthenticated(c);
        if (!roles.some((role) => session.roles.includes(role))) {
          return errorResponse(
            403,
            'forbidden',
            `This needs one of the roles: ${roles.join(', ')}.`,
          );
        }
        return undefined;
      });
    },
    requirePermission(...permissions: string[]): MiddlewareHandler<AuthEnv> {
      return guarded((c, session) => {
        if (session === null) return unauthenticated(c);
        if (!permissions.every((permission) => deps.hasPermission(session, permission))) {
          return errorResponse(
            403,
            'forbidden',
            `This needs the permissions: ${permissions.join(', ')}.`,
          );
        }
        return undefined;
      });
    },
  };
}

/** A browser navigation (wants HTML), as opposed to an API call (wants JSON). */
function isPageRequest(request: Request): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const mode = request.headers.get('sec-fetch-mode');
  if (mode !== null) return mode === 'navigate';
  return (request.headers.get('accept') ?? '').includes('text/html');
}
