/**
 * Next.js App Router: one auth app per server process, shared by the route handlers. Snippet
 * type-checked by `npm run typecheck` (route handlers take and return Web-standard objects).
 */
import { GenericOIDCProvider } from 'authflow';
import { createAuthApp } from 'authflow/deploy';

export const auth = createAuthApp({
  provider: new GenericOIDCProvider({
    issuerUrl: process.env.OIDC_ISSUER ?? '',
    clientId: process.env.OIDC_CLIENT_ID ?? '',
    clientSecret: process.env.OIDC_CLIENT_SECRET,
  }),
  secret: process.env.AUTH_SECRET ?? '',
  baseUrl: process.env.BASE_URL ?? 'http://localhost:3000',
  redis: process.env.REDIS_URL, // serverless instances and workers share state through Redis
  // Route handlers do not see the socket: behind your proxy (or Vercel), the client address
  // for the login rate limit is the right-most X-Forwarded-For entry.
  trustProxy: true,
  idleTimeout: 30 * 60,
});
