/**
 * The routes of the web benches (`bench/web-server.ts` under `wrk`, `bench/web-micro.ts` in
 * process): the floors, the least any session implementation could cost, and authflow's own
 * routes beside them. One definition, so that both benches measure the same code. Each answers
 * 200 `{"userId":…}` to a signed-in request and 401 otherwise.
 *
 * @module
 */
import type { Context, Hono } from 'hono';
import type { AuthApp } from '../src/deploy/index.js';

/** The floors' own record of a session: what they answer with. */
export interface FloorSession {
  userId: string;
}

/** The 401 every bench route answers without a session. */
export const unauthorized = (c: Context) => c.json({ error: 'not_authenticated' }, 401);

/** The Cookie header's value after the first `=`: the floors know the one cookie sent. */
function cookieValue(c: Context): string | undefined {
  const header = c.req.header('cookie');
  return header === undefined ? undefined : header.slice(header.indexOf('=') + 1);
}

/** The floor of any in-memory session: the Cookie header, its value looked up in a `Map`. */
export function memoryFloor(sessions: Map<string, FloorSession>) {
  return (c: Context) => {
    const value = cookieValue(c);
    const session = value === undefined ? undefined : sessions.get(value);
    return session === undefined ? unauthorized(c) : c.json({ userId: session.userId });
  };
}

/**
 * The same behind a Promise in an async handler: the least any session API that answers with
 * a Promise (as `getSession(Request)` must) costs on `@hono/node-server`, whose answer to an
 * async handler takes its Promise path.
 */
export function asyncMemoryFloor(sessions: Map<string, FloorSession>) {
  return async (c: Context) => {
    const value = cookieValue(c);
    const session = await Promise.resolve(value === undefined ? undefined : sessions.get(value));
    return session === undefined ? unauthorized(c) : c.json({ userId: session.userId });
  };
}

/**
 * The floor of any Redis session: the Cookie header, one `get` of the session's JSON (the very
 * key authflow wrote under `keyPrefix`: the session id is the cookie's value before its
 * signature), `JSON.parse`.
 */
export function redisFloor(keyPrefix: string, get: (key: string) => Promise<string | null>) {
  return async (c: Context) => {
    const value = cookieValue(c);
    if (value === undefined) return unauthorized(c);
    const text = await get(`${keyPrefix}session:${value.slice(0, value.indexOf('.'))}`);
    const session = text === null ? null : (JSON.parse(text) as FloorSession);
    return session === null ? unauthorized(c) : c.json({ userId: session.userId });
  };
}

/**
 * authflow's routes for the app `auth` named `store`: `/<store>/get-session`
 * (`getSession(Request)` in an async handler), `/<store>/protect` (`protect()`), and its auth
 * routes under `/auth-<store>/` (for signing in).
 */
export function mountAuthRoutes(app: Hono, store: string, auth: AuthApp): void {
  app.get(`/${store}/get-session`, async (c) => {
    const session = await auth.getSession(c.req.raw);
    return session === null ? unauthorized(c) : c.json({ userId: session.userId });
  });
  app.get(
    `/${store}/protect`,
    auth.protect((c, session) => c.json({ userId: session.userId })),
  );
  app.all(`/auth-${store}/*`, (c) => auth.fetch(c.req.raw, c.env));
}
