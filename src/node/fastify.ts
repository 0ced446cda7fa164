/**
 * Fastify integration: the auth routes and the session for Fastify apps. Fastify is not a
 * dependency: the types below are the parts of it authflow uses.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { AuthApp } from '../deploy/app.js';
import type { UserSession } from '../deploy/session.js';
import { type ParsedRequest, restoreParsedBody } from './parsed-body.js';

/** The parts of Fastify's request authflow uses. */
export interface FastifyLikeRequest {
  raw: IncomingMessage;
  url: string;
  headers: IncomingMessage['headers'];
  body?: unknown;
  /** The signed-in user's session, or `null`; set by {@link fastifyAuth} for non-auth routes. */
  authSession?: UserSession | null;
}

/** The parts of Fastify's reply authflow uses. */
export interface FastifyLikeReply {
  raw: ServerResponse;
  hijack(): unknown;
  code(statusCode: number): FastifyLikeReply;
  header(name: string, value: string): FastifyLikeReply;
  send(payload?: unknown): unknown;
}

type Done = (error: Error | null, body?: unknown) => void;

/** The parts of a Fastify instance authflow uses. */
export interface FastifyLikeInstance {
  register(plugin: (instance: FastifyLikeInstance) => Promise<void>): unknown;
  removeAllContentTypeParsers(): unknown;
  addContentTypeParser(
    contentType: string,
    options: { parseAs: 'buffer'; bodyLimit: number },
    parser: (request: unknown, body: Buffer, done: Done) => void,
  ): unknown;
  all(
    path: string,
    handler: (request: FastifyLikeRequest, reply: FastifyLikeReply) => unknown,
  ): unknown;
  addHook(
    name: 'onRequest',
    hook: (request: FastifyLikeRequest, reply: FastifyLikeReply) => Promise<unknown>,
  ): unknown;
  decorateRequest(name: 'authSession', value: null): unknown;
}

/** Largest body the auth routes accept (a back-channel logout token is a few hundred bytes). */
const AUTH_BODY_LIMIT = 64 * 1024;

/**
 * Mounts authflow in a Fastify app: serves the auth routes under the app's `basePath` (in their
 * own context, whose body parser keeps the raw bytes, whatever parsers the app registers), and
 * for every other request sets `request.authSession` (the session or `null`), answering 503
 * JSON when the session store is down. Call it on the root instance, before your routes:
 * `await fastifyAuth(app, auth)`. The client address for the login rate limit is the socket's.
 *
 * @example
 * ```ts
 * const app = Fastify();
 * await fastifyAuth(app, auth);
 * app.get('/me', async (request, reply) => {
 *   const session = (request as { authSession?: UserSession | null }).authSession;
 *   return session ? { user: session.userId } : reply.code(401).send();
 * });
 * ```
 */
export async function fastifyAuth(
  instance: Pick<Record<keyof FastifyLikeInstance, unknown>, keyof FastifyLikeInstance>,
  auth: AuthApp,
): Promise<void> {
  // Checked by name only: Fastify's own overloaded types vary between versions and servers.
  const fastify = instance as FastifyLikeInstance;
  const listener = getRequestListener((request, env) => auth.fetch(request, env));
  const prefix = auth.loginPath.slice(0, -'login'.length);
  fastify.decorateRequest('authSession', null);
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith(prefix)) return undefined;
    try {
      request.authSession = await auth.getSession(cookieRequest(request.raw));
    } catch {
      return reply.code(503).header('cache-control', 'no-store').header('retry-after', '1').send({
        error: 'store_unavailable',
        errorDescription: 'The session store is unavailable. Try again in a moment.',
      });
    }
    // Fastify's async hooks return the reply only when they answered the request themselves.
    return undefined;
  });
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: AUTH_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    scope.all(`${prefix}*`, async (request, reply) => {
      const raw = request.raw as ParsedRequest;
      raw.body = request.body;
      restoreParsedBody(raw);
      reply.hijack();
      await listener(raw, reply.raw);
    });
  });
}

/**
 * A Request carrying only the cookies of a Node request: what `auth.getSession` and
 * `auth.getAccessToken` read. For Express, Fastify and plain `node:http` handlers.
 *
 * @example
 * ```ts
 * const token = await auth.getAccessToken(cookieRequest(req)); // req: Node's IncomingMessage
 * ```
 */
export function cookieRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  const cookie = req.headers.cookie;
  if (typeof cookie === 'string') headers.set('cookie', cookie);
  // Only the cookie matters; the URL is fixed so that no input can break it.
  return new Request('http://localhost/', { headers });
}
