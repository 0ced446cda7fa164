/**
 * `authflow/node`: serve a deploy-mode auth app (or a whole Hono app) on Node's `http`, and
 * mount it in Express. Binds to 127.0.0.1 unless told otherwise: put a TLS-terminating proxy
 * in front for the public.
 *
 * @module
 */
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer, getRequestListener } from '@hono/node-server';
import type { AuthApp } from '../deploy/app.js';
import type { UserSession } from '../deploy/session.js';
import { type ParsedRequest, restoreParsedBody } from './parsed-body.js';

export {
  cookieRequest,
  type FastifyLikeInstance,
  type FastifyLikeReply,
  type FastifyLikeRequest,
  fastifyAuth,
} from './fastify.js';
export { type ParsedRequest, restoreParsedBody } from './parsed-body.js';

/** Anything with a Web-standard fetch handler: an `AuthApp`, a Hono app, ... */
export interface FetchHandler {
  /** Answers a request. `env` receives `{ incoming, outgoing }` (Node's request and response). */
  fetch(request: Request, env?: unknown): Response | Promise<Response>;
}

/** Options of {@link serve}. */
export interface ServeOptions {
  /** TCP port. Default `0`: a random free port (read it from the result). */
  port?: number;
  /** Address to bind. Default `'127.0.0.1'` (loopback only). */
  hostname?: string;
}

/** A running server, returned by {@link serve}. */
export interface RunningServer {
  /** `http://<hostname>:<port>`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Node's `http.Server`, for settings such as `keepAliveTimeout`. */
  readonly server: Server;
  /** Stops listening and closes every connection, keep-alive ones included. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `app` on Node's `http` and resolves once it listens.
 *
 * @example
 * ```ts
 * const running = await serve(honoApp, { port: 3000 });
 * console.log(`Listening on ${running.url}`);
 * ```
 */
export async function serve(app: FetchHandler, options: ServeOptions = {}): Promise<RunningServer> {
  const hostname = options.hostname ?? '127.0.0.1';
  const server = createAdaptorServer({
    fetch: (request, env) => app.fetch(request, env),
    hostname,
  }) as Server;
  server.listen(options.port ?? 0, hostname);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * A Node `(req, res)` listener answering with `app.fetch`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * createServer(toNodeListener(auth)).listen(3000, '127.0.0.1');
 * ```
 */
export function toNodeListener(
  app: FetchHandler,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return getRequestListener((request, env) => app.fetch(request, env));
}

/** The parts of Express's request that {@link expressAuth} uses (Express is not a dependency). */
export interface ExpressLikeRequest extends ParsedRequest {
  /** The URL before Express's mount-path stripping. */
  originalUrl?: string;
}

/** The parts of Express's response that {@link expressAuth} uses. */
export interface ExpressLikeResponse extends ServerResponse {
  /** Express's per-request locals; authflow puts the session at `locals.authSession`. */
  locals?: Record<string, unknown>;
}

/**
 * Express middleware: serves the auth routes under the app's `basePath`, and for every other
 * request puts the session (or `null`) at `res.locals.authSession`. Answers 503 JSON when the
 * session store is down. Mount it before your routes: `app.use(expressAuth(auth))`. Body
 * parsers mounted before it are fine: the auth routes get the body back from `req.body`. The
 * client address for the login rate limit is the socket's.
 *
 * @example
 * ```ts
 * const app = express();
 * app.use(expressAuth(auth));
 * app.get('/me', (req, res) => {
 *   const session = res.locals.authSession as UserSession | null;
 *   if (!session) return res.redirect(auth.loginPath);
 *   res.json({ user: session.userId });
 * });
 * ```
 */
export function expressAuth(
  auth: AuthApp,
): (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (error?: unknown) => void) => void {
  const listener = toNodeListener(auth);
  const prefix = auth.loginPath.slice(0, -'login'.length);
  return (req, res, next) => {
    const url = req.originalUrl ?? req.url ?? '/';
    if (url.startsWith(prefix)) {
      req.url = url;
      // A body parser mounted before may have read the body (the back-channel logout form).
      restoreParsedBody(req);
      listener(req, res).catch(next);
      return;
    }
    const headers = new Headers();
    const cookie = req.headers.cookie;
    if (typeof cookie === 'string') headers.set('cookie', cookie);
    // Only the cookie matters for the session; the URL is fixed so that no input can break it.
    auth.getSession(new Request('http://localhost/', { headers })).then(
      (session: UserSession | null) => {
        if (res.locals === undefined) res.locals = {};
        res.locals.authSession = session;
        next();
      },
      () => {
        res.statusCode = 503;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.setHeader('cache-control', 'no-store');
        res.end(
          JSON.stringify({
            error: 'store_unavailable',
            errorDescription: 'The session store is unavailable. Try again in a moment.',
          }),
        );
      },
    );
  };
}
