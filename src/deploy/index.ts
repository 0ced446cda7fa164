/**
 * `authflow/deploy`: sign-in for web servers. `/auth/*` routes on Web-standard
 * Request/Response, server-side sessions with roles, and Redis for scaling out.
 *
 * A "session" here is a signed-in browser ({@link UserSession}); a {@link SessionStore}
 * holds those and the rest of deploy mode's state (pending logins, rate limits, locks).
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { GoogleProvider } from 'authflow';
 * import { type AuthEnv, createAuthApp } from 'authflow/deploy';
 *
 * const auth = createAuthApp({
 *   provider: new GoogleProvider({ clientId, clientSecret }),
 *   secret: process.env.AUTH_SECRET!, // 32+ random characters
 *   baseUrl: 'https://app.example.com',
 *   redis: process.env.REDIS_URL, // optional: share sessions between workers
 * });
 * const app = new Hono<AuthEnv>();
 * app.use(auth.middleware());
 * app.get('/', (c) => c.text(c.get('session') ? 'Hello again' : 'Hello'));
 * export default app;
 * ```
 *
 * @module
 */
export type { AccessToken, GetAccessTokenOptions, RequestLike } from './access-token.js';
export { type AuthApp, createAuthApp } from './app.js';
export type { RequestEnv } from './client-ip.js';
export type { AuthEnv, ProtectedHandler } from './hono.js';
export type { DeployErrorCode } from './http.js';
export { MemorySessionStore, type MemorySessionStoreOptions } from './memory-session-store.js';
export type { AuthAppOptions } from './options.js';
export {
  BOUNDED_CLUSTER_OPTIONS,
  BOUNDED_REDIS_OPTIONS,
  createRedisClient,
} from './redis-client.js';
export type { RedisClient, ReplicaAckOptions } from './redis-replicas.js';
export { ReplicaAckError } from './redis-replicas.js';
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-session-store.js';
export { RedisTokenStore, type RedisTokenStoreOptions } from './redis-token-store.js';
export { safeReturnTo } from './return-to.js';
export {
  DEFAULT_ROLE_PERMISSIONS,
  hasPermission,
  isAdmin,
  type ResolveRolesOptions,
  type RolePermissions,
  resolveRoles,
} from './roles.js';
export type { SessionMetadata, UserSession } from './session.js';
export type { SessionCacheOptions } from './session-cache.js';
export type { PendingLogin, SessionStore } from './session-store.js';
export { StoreUnavailableError } from './store-guard.js';
export {
  MemorySessionIndex,
  RedisSessionIndex,
  type SessionIndex,
} from './user-sessions.js';
