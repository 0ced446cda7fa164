/**
 * authflow deploy mode in an Express app: `npm run example:express` (in memory), or with Redis:
 * `REDIS_URL=redis://127.0.0.1:6379 npm run example:express`. `PORT` picks the port. Signs in
 * through the embedded development provider (any user name works).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { AuthenticationError } from '../../src/errors.js';
import { cookieRequest, expressAuth } from '../../src/node/index.js';
import {
  callApiAsUser,
  exampleAuth,
  type FrameworkExample,
  type FrameworkExampleOptions,
  startProviderFor,
} from '../frameworks-shared.js';

/** Starts the Express example on 127.0.0.1. */
export async function startExpressExample(
  options: FrameworkExampleOptions = {},
): Promise<FrameworkExample> {
  const app = express();
  // Body parsers first, as most Express apps have them: the auth routes still get their body.
  app.use(express.json());
  app.use(express.urlencoded({ extended: false }));

  const server = app.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dev = await startProviderFor(url);
  const auth = exampleAuth(dev, url, options);

  app.use(expressAuth(auth)); // serves /auth/*, sets res.locals.authSession
  app.get('/', (_req, res) => {
    const session = res.locals.authSession;
    res
      .type('html')
      .send(
        session
          ? `<p id="user">Signed in as ${encodeURIComponent(session.userId)}.</p><p><a href="/api/profile">Profile from the API</a></p>`
          : `<p id="anonymous">Not signed in. <a href="${auth.loginPath}?returnTo=/">Sign in</a></p>`,
      );
  });
  app.get('/api/me', (_req, res) => {
    const session = res.locals.authSession;
    if (!session) {
      res.status(401).json({ error: 'not_authenticated' });
      return;
    }
    res.json({ userId: session.userId, roles: session.roles });
  });
  app.get('/api/profile', async (req, res, next) => {
    try {
      const token = await auth.getAccessToken(cookieRequest(req));
      if (token === null) {
        res.status(401).json({ error: 'not_authenticated' });
        return;
      }
      const answer = await callApiAsUser(dev, token);
      res.status(answer.status).json({ profile: answer.body, scopes: token.scopes });
    } catch (error) {
      if (error instanceof AuthenticationError) {
        res.status(401).json({ error: error.code }); // reauth_required: sign in again
        return;
      }
      next(error);
    }
  });
  app.post('/api/echo', (req, res) => {
    res.json({ body: req.body }); // the app's own routes keep their parsed bodies
  });

  return {
    url,
    dev,
    auth,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await auth.close();
      await dev.close();
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const example = await startExpressExample({
    port: Number(process.env.PORT ?? 3000),
    redis: process.env.REDIS_URL,
  });
  console.log(`authflow Express example: ${example.url}`);
  console.log(`Development provider: ${example.dev.issuer} (any user name signs in)`);
  const stop = async () => {
    await example.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
