/**
 * Options of {@link createAuthApp} and their validation: unsafe settings are refused at start
 * with a message that says how to fix them.
 *
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { ConfigurationError } from '../errors.js';
import type { OAuthProvider, UserInfo } from '../providers/types.js';
import type { TokenStore } from '../stores/types.js';
import { checkKeyPrefix } from './redis-keys.js';
import { DEFAULT_ROLE_PERMISSIONS, type RolePermissions } from './roles.js';
import type { SessionCacheOptions } from './session-cache.js';
import type { SessionStore } from './session-store.js';

/** Options of `createAuthApp`. */
export interface AuthAppOptions {
  /** The identity provider (e.g. a `GenericOIDCProvider`). Required. */
  provider: OAuthProvider;
  /**
   * Secret for signing cookies (HMAC-SHA256), at least 32 characters of random text, the same
   * on every worker. Required. Changing it signs everyone out.
   */
  secret: string;
  /**
   * The app's public origin, e.g. `https://app.example.com` (no path). The redirect URI is
   * `baseUrl + basePath + '/callback'`; cookies are `Secure` when it is https; POSTs must come
   * from this origin (or `trustedOrigins`). Plain http is accepted only for loopback hosts
   * unless `allowInsecureHttp` is set.
   */
  baseUrl: string;
  /** Path prefix of the auth routes. Default `'/auth'`. */
  basePath?: string;
  /**
   * Redis for all server-side state (sessions, token sets, pending logins, rate limits, refresh
   * locks), shared by every worker: a `redis://` or `rediss://` URL, or an ioredis client: a
   * `Redis` (one node, or `new Redis({ sentinels, name })` for Sentinel) or a `Cluster`. With
   * Sentinel or Cluster, session reads fall back to a replica while a primary is down. See
   * `docs/deploy.md`, "Scaling past one Redis". Without it, everything lives in this
   * process's memory.
   */
  redis?: Redis | Cluster | string;
  /**
   * Session ends (logout, reauth) and token-set saves are acknowledged only once this many
   * replicas have them (Redis `WAIT`), so a failover never undoes a logout or loses a rotated
   * refresh token. Default `{ replicas: 1, timeout: 0.5 }` (at most half of `storeTimeout`);
   * `replicas: 0` turns it off; a primary without replicas is not waited for. When they do not
   * answer within `timeout` seconds (less than `storeTimeout`), the request answers 503
   * `store_unavailable`.
   */
  replicaAck?: { replicas?: number; timeout?: number };
  /** Prefix of every Redis key. Default `'authflow:'`. */
  keyPrefix?: string;
  /** Session lifetime in seconds. Default 86400 (one day). */
  sessionTtl?: number;
  /**
   * End a session unused for this many seconds, before `sessionTtl`. Sliding: a session in use
   * is saved again at most once per interval (a tenth of it, 1 to 60 s), not on every request.
   * Default: none (only `sessionTtl`).
   */
  idleTimeout?: number;
  /**
   * Name of the session cookie. Default `'__Host-authflow_session'` on https (browsers then
   * refuse the cookie from sibling subdomains and other paths: no cookie tossing),
   * `'authflow_session'` on http. The login-binding cookie is named after it.
   */
  cookieName?: string;
  /** Roles every signed-in user gets. Default `['viewer']`. */
  defaultRoles?: string[];
  /** User ids, or emails the provider marks verified, that also get `admin`. Default `[]`. */
  adminUsers?: string[];
  /** Maps the provider's claims (e.g. `groups`) to extra roles. */
  rolesFromClaims?: (userInfo: UserInfo) => readonly string[] | Promise<readonly string[]>;
  /** Role → permissions. Default: admin {read, write, admin, delete, manage_users}, editor {read, write}, viewer {read}, anonymous {}. */
  rolePermissions?: RolePermissions;
  /** Use PKCE (S256). Default `true`. */
  usePkce?: boolean;
  /** Where to go after sign-in when no valid `returnTo` was given. Default `'/'`. */
  afterLoginPath?: string;
  /**
   * Where the provider sends the browser after a federated logout (`?federated=1`), a path
   * under `baseUrl`; it must be registered at the provider. Default: not sent.
   */
  afterLogoutPath?: string;
  /**
   * Logins allowed per client per window. A client is an IPv4 address or an IPv6 /64; without
   * an address (see `clientAddress`), a browser. Default `{ max: 10, windowSeconds: 60 }`.
   */
  loginRateLimit?: { max: number; windowSeconds: number };
  /** Extra origins allowed to POST to `/refresh` and `/logout`, e.g. `https://admin.example.com`. */
  trustedOrigins?: string[];
  /**
   * Read the client IP from `X-Forwarded-For` (the right-most address, the one your proxy
   * added). Only set this behind a proxy you control. Default `false`.
   */
  trustProxy?: boolean;
  /**
   * Returns the client's address for a request, for runtimes whose adapter does not pass it
   * (authflow reads it itself from `@hono/node-server`, `Deno.serve`, `Bun.serve` and
   * `{ remoteAddress }`). Overrides `trustProxy`. Default: not set.
   */
  clientAddress?: (request: Request, env: unknown) => string | undefined;
  /** Seconds to wait for the provider (code exchange, userinfo, refresh, revocation). Default 10. */
  providerTimeout?: number;
  /** Seconds to wait for the session store before answering 503. Default 2. */
  storeTimeout?: number;
  /** Allow an `http://` `baseUrl` on a non-loopback host (cookies are then sent in clear). Default `false`. */
  allowInsecureHttp?: boolean;
  /**
   * With `redis`: keep the sessions this worker reads in a bounded local cache, invalidated
   * across workers through Redis pub/sub (see `docs/deploy.md`, "Session cache"). A hot session
   * is then served without a Redis round trip. The cache subscribes on connections of its own
   * (one to the node, or one to every primary of a Redis Cluster, opened and closed by
   * authflow) and is used only while every subscription is confirmed; any doubt empties it and
   * sends reads to Redis. `true` for the defaults. Default `false`.
   */
  sessionCache?: boolean | SessionCacheOptions;
  /** A custom session store (instead of memory or `redis`). */
  sessionStore?: SessionStore;
  /** A custom token store (instead of memory or `redis`). */
  tokenStore?: TokenStore;
  /**
   * Called with every error behind a 5xx answer or a failed sign-in, for your logs. authflow's
   * errors never contain tokens, codes or cookies. Default: nothing is logged.
   *
   * `route` names the auth route (`login`, `callback`, `refresh`, ...) or, for a 503 answered
   * by `protect()`, `middleware()` or the role checks, the pattern of the handler Hono was
   * running (`/api/users/:id`; `/*` for a `middleware()` mounted on every path), never the path
   * with its values. A session read that neither a replica nor the primary answered has an
   * `AggregateError` with both causes as its `cause`. Redis errors keep the failed command's
   * name but not its arguments (keys and values such as token sets). With `sessionCache`, a
   * subscription Redis refuses is reported once per run of failures (route `session-cache`, a
   * `StoreError` naming the channel and the node; the cache is not used meanwhile).
   */
  onError?: (error: unknown, context: { route: string }) => void;
}

/** {@link AuthAppOptions} after validation, with defaults filled in. */
export interface ResolvedOptions {
  provider: OAuthProvider;
  secret: string;
  origin: string;
  secure: boolean;
  basePath: string;
  redirectUri: string;
  redis: Redis | Cluster | string | undefined;
  replicaAck: { replicas: number; timeoutMs: number };
  keyPrefix: string;
  sessionTtl: number;
  idleTimeout: number | undefined;
  cookieName: string;
  bindingCookieName: string;
  defaultRoles: string[];
  adminUsers: string[];
  rolesFromClaims: AuthAppOptions['rolesFromClaims'];
  rolePermissions: RolePermissions;
  usePkce: boolean;
  afterLoginPath: string;
  afterLogoutPath: string | undefined;
  loginRateLimit: { max: number; windowSeconds: number };
  allowedOrigins: Set<string>;
  trustProxy: boolean;
  clientAddress: AuthAppOptions['clientAddress'];
  providerTimeoutMs: number;
  storeTimeoutMs: number;
  sessionCache: SessionCacheOptions | undefined;
  sessionStore: SessionStore | undefined;
  tokenStore: TokenStore | undefined;
  onError: AuthAppOptions['onError'];
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Validates options and fills in defaults; throws `ConfigurationError` naming the bad setting. */
export function resolveOptions(options: AuthAppOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    fail('createAuthApp needs an options object.');
  const { provider, secret } = options;
  if (
    typeof provider?.buildAuthorizeUrl !== 'function' ||
    typeof provider.exchangeCode !== 'function'
  ) {
    fail('Option `provider` is required: pass an OAuthProvider such as GenericOIDCProvider.');
  }
  if (typeof secret !== 'string' || secret.length < 32) {
    fail(
      'Option `secret` must be at least 32 characters of random text, e.g. from `openssl rand -base64 48`.',
    );
  }
  if (new Set(secret).size < 10) {
    fail(
      'Option `secret` looks like a placeholder (too few distinct characters): use random text.',
    );
  }
  const base = parseOrigin(options.baseUrl, 'baseUrl');
  if (
    base.protocol === 'http:' &&
    !LOOPBACK.has(base.hostname) &&
    options.allowInsecureHttp !== true
  ) {
    fail(
      `Option \`baseUrl\` (${base.origin}) is plain http on a non-loopback host, so session cookies would travel in clear. Use https, or set allowInsecureHttp: true for a private network.`,
    );
  }
  const basePath = options.basePath ?? '/auth';
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) {
    fail(
      "Option `basePath` must look like '/auth': a leading slash, no trailing slash, no special characters.",
    );
  }
  const cookieName =
    options.cookieName ??
    (base.protocol === 'https:' ? '__Host-authflow_session' : 'authflow_session');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cookieName)) {
    fail('Option `cookieName` may use only letters, digits, `_` and `-` (at most 64).');
  }
  if (/^__(Host|Secure)-/.test(cookieName) && base.protocol !== 'https:') {
    fail(
      'Option `cookieName` starts with __Host- or __Secure-, which browsers accept only over https: use an https baseUrl or another name.',
    );
  }
  const sessionTtl = options.sessionTtl ?? 86_400;
  positiveInteger(sessionTtl, 'sessionTtl');
  const idleTimeout = options.idleTimeout;
  if (idleTimeout !== undefined) positiveInteger(idleTimeout, 'idleTimeout');
  const afterLoginPath = options.afterLoginPath ?? '/';
  localPath(afterLoginPath, 'afterLoginPath');
  if (options.afterLogoutPath !== undefined) localPath(options.afterLogoutPath, 'afterLogoutPath');
  const loginRateLimit = options.loginRateLimit ?? { max: 10, windowSeconds: 60 };
  positiveInteger(loginRateLimit.max, 'loginRateLimit.max');
  positiveInteger(loginRateLimit.windowSeconds, 'loginRateLimit.windowSeconds');
  const allowedOrigins = new Set([base.origin]);
  for (const origin of options.trustedOrigins ?? []) {
    allowedOrigins.add(parseOrigin(origin, 'trustedOrigins').origin);
  }
  const providerTimeout = options.providerTimeout ?? 10;
  const storeTimeout = options.storeTimeout ?? 2;
  positiveNumber(providerTimeout, 'providerTimeout');
  positiveNumber(storeTimeout, 'storeTimeout');
  if (options.clientAddress !== undefined && typeof options.clientAddress !== 'function') {
    fail('Option `clientAddress` must be a function (request, env) => address.');
  }
  const redis = options.redis;
  if (typeof redis === 'string' && !/^rediss?:\/\//.test(redis)) {
    fail('Option `redis` must be an ioredis client or a redis:// or rediss:// URL.');
  }
  const sessionCache = resolveSessionCache(options);
  const replicas = options.replicaAck?.replicas ?? 1;
  // By default well inside storeTimeout, so that a late replica gives a clear 503.
  const ackTimeout = options.replicaAck?.timeout ?? Math.min(0.5, storeTimeout / 2);
  if (!Number.isSafeInteger(replicas) || replicas < 0) {
    fail('Option `replicaAck.replicas` must be an integer ≥ 0.');
  }
  positiveNumber(ackTimeout, 'replicaAck.timeout');
  if (ackTimeout >= storeTimeout) {
    fail('Option `replicaAck.timeout` must be shorter than `storeTimeout`.');
  }
  const stringList = (value: unknown, name: string): string[] => {
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      fail(`Option \`${name}\` must be an array of strings.`);
    }
    return [...value];
  };
  return {
    provider,
    secret,
    origin: base.origin,
    secure: base.protocol === 'https:',
    basePath,
    redirectUri: `${base.origin}${basePath}/callback`,
    redis,
    replicaAck: { replicas, timeoutMs: ackTimeout * 1000 },
    keyPrefix: checkKeyPrefix(options.keyPrefix ?? 'authflow:'),
    sessionTtl,
    idleTimeout,
    cookieName,
    // On https the binding cookie is __Host- prefixed: no sibling subdomain can plant one.
    bindingCookieName:
      base.protocol === 'https:'
        ? `__Host-${cookieName.replace(/^__(Host|Secure)-/, '')}_login`
        : `${cookieName}_login`,
    defaultRoles: stringList(options.defaultRoles ?? ['viewer'], 'defaultRoles'),
    adminUsers: stringList(options.adminUsers ?? [], 'adminUsers'),
    rolesFromClaims: options.rolesFromClaims,
    rolePermissions: options.rolePermissions ?? DEFAULT_ROLE_PERMISSIONS,
    usePkce: options.usePkce ?? true,
    afterLoginPath,
    afterLogoutPath: options.afterLogoutPath,
    loginRateLimit,
    allowedOrigins,
    trustProxy: options.trustProxy ?? false,
    clientAddress: options.clientAddress,
    providerTimeoutMs: providerTimeout * 1000,
    storeTimeoutMs: storeTimeout * 1000,
    sessionCache,
    sessionStore: options.sessionStore,
    tokenStore: options.tokenStore,
    onError: options.onError,
  };
}

function resolveSessionCache(options: AuthAppOptions): SessionCacheOptions | undefined {
  const cache = options.sessionCache;
  if (cache === undefined || cache === false) return undefined;
  if (options.redis === undefined || options.sessionStore !== undefined) {
    fail(
      "Option `sessionCache` needs `redis` and authflow's own session store: its invalidation travels over Redis pub/sub.",
    );
  }
  const resolved = cache === true ? {} : cache;
  if (typeof resolved !== 'object' || resolved === null) {
    fail('Option `sessionCache` must be true, false or { maxEntries, maxBytes, maxAgeSeconds }.');
  }
  for (const key of ['maxEntries', 'maxBytes', 'maxAgeSeconds'] as const) {
    if (resolved[key] !== undefined) positiveInteger(resolved[key], `sessionCache.${key}`);
  }
  return { ...resolved };
}

function fail(message: string): never {
  throw new ConfigurationError(message);
}

function parseOrigin(value: unknown, name: string): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    fail(`Option \`${name}\` must be an http(s) origin such as https://app.example.com.`);
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
    fail(
      `Option \`${name}\` must be an origin only (scheme, host, port), without path, query or credentials.`,
    );
  }
  return url;
}

function positiveInteger(value: unknown, name: string): void {
  if (!Number.isSafeInteger(value) || (value as number) <= 0)
    fail(`Option \`${name}\` must be a positive integer.`);
}

function positiveNumber(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(`Option \`${name}\` must be a positive number of seconds.`);
  }
}

function localPath(value: unknown, name: string): void {
  if (
    typeof value !== 'string' ||
    !/^\/(?![/\\])[\x21-\x7e]*$/.test(value) ||
    value.includes('\\')
  ) {
    fail(`Option \`${name}\` must be a path on this site such as '/'.`);
  }
}
