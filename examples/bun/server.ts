/**
 * authflow deploy mode on Bun: `auth.fetch` is the whole integration. Run with
 * `AUTH_SECRET=… OIDC_ISSUER=… OIDC_CLIENT_ID=… OIDC_CLIENT_SECRET=… bun examples/bun/server.ts`.
 * Type-checked against Bun's types by `npm run typecheck` (examples/bun/tsconfig.json).
 */

import { GenericOIDCProvider } from 'authflow';
import { createAuthApp } from 'authflow/deploy';

const auth = createAuthApp({
  provider: new GenericOIDCProvider({
    issuerUrl: process.env.OIDC_ISSUER ?? '',
    clientId: process.env.OIDC_CLIENT_ID ?? '',
    clientSecret: process.env.OIDC_CLIENT_SECRET,
  }),
  secret: process.env.AUTH_SECRET ?? '',
  baseUrl: process.env.BASE_URL ?? 'http://127.0.0.1:3000',
  redis: process.env.REDIS_URL, // every worker on the same Redis
  idleTimeout: 30 * 60,
});

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 3000,
  async fetch(request, server) {
    const { pathname } = new URL(request.url);
    // The client address feeds the login rate limit.
    const env = { remoteAddress: server.requestIP(request)?.address };
    if (pathname.startsWith('/auth/')) return auth.fetch(request, env);
    if (pathname === '/api/repos') {
      const token = await auth.getAccessToken(request);
      if (token === null) return Response.json({ error: 'not_authenticated' }, { status: 401 });
      // Call an API as the user; the token never reaches the browser.
      return fetch('https://api.example.com/repos', {
        headers: { authorization: `${token.tokenType} ${token.accessToken}` },
      });
    }
    const session = await auth.getSession(request);
    return new Response(session ? `Hello ${session.userId}` : 'Not signed in');
  },
});
console.log(`Listening on ${server.url}`);
