/**
 * authflow deploy mode in a Fastify app: `npm run example:fastify` (in memory), or with Redis:
 * `REDIS_URL=redis://127.0.0.1:6379 npm run example:fastify`. `PORT` picks the port. Signs in
 * through the embedded development provider (any user name works).
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { AuthenticationError } from '../../src/errors.js';
import { cookieRequest, fastifyAuth } from '../../src/node/index.js';
import {
  callApiAsUser,
  exampleAuth,
  type FrameworkExample,
  type FrameworkExampleOptions,
  startProviderFor,
} from '../frameworks-shared.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by fastifyAuth: the session, or `null`. */
    authSession: import('../../src/deploy/index.js').UserSession | null;
  }
}

/** Starts the Fastify example on 127.0.0.1. */
export async function startFastifyExample(
  options: FrameworkExampleOptions = {},
): Promise<FrameworkExample> {
  const app = Fastify();
  // The app's own body parsers (JSON is built in; forms here) do not reach the auth routes.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  // The provider must know the app's address before the app knows the provider: pick the
  // port first (a development shortcut; in production both addresses are configured).
  const port = options.port || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const dev = await startProviderFor(url);
  const auth = exampleAuth(dev, url, options);
  await fastifyAuth(app, auth); // serves /auth/*, sets request.authSession

  app.get('/api/me', async (request, reply) => {
    const session = request.authSession;
    if (!session) return reply.code(401).send({ error: 'not_authenticated' });
    return { userId: session.userId, roles: session.roles };
  });
  app.get('/api/profile', async (request, reply) => {
    try {
      const token = await auth.getAccessToken(cookieRequest(request.raw));
      if (token === null) return reply.code(401).send({ error: 'not_authenticated' });
      const answer = await callApiAsUser(dev, token);
      return reply.code(answer.status).send({ profile: answer.body, scopes: token.scopes });
    } catch (error) {
      if (error instanceof AuthenticationError) {
        return reply.code(401).send({ error: error.code }); // reauth_required: sign in again
      }
      throw error;
    }
  });
  app.post('/api/echo', async (request) => ({ body: request.body }));

  try {
    await app.listen({ port, host: '127.0.0.1' });
  } catch (error) {
    await auth.close();
    await dev.close();
    throw error;
  }
  return {
    url,
    dev,
    auth,
    async close() {
      await app.close();
      await auth.close();
      await dev.close();
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const example = await startFastifyExample({
    port: Number(process.env.PORT ?? 3000),
    redis: process.env.REDIS_URL,
  });
  console.log(`authflow Fastify example: ${example.url}`);
  console.log(`Development provider: ${example.dev.issuer} (any user name signs in)`);
  const stop = async () => {
    await example.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}
