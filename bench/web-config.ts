/** What `bench/web.ts` and the servers it starts share. */

/** Passed to a bench server as JSON in the BENCH_CONFIG environment variable. */
export interface ServerConfig {
  redisUrl: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  secret: string;
  /**
   * Where authflow is loaded from: `dist` (the compiled package, what an app runs; the
   * default) or `src` (TypeScript through tsx, whose `keepNames` adds a `__name` call to every
   * closure created per request: handy for profiles with source lines, slower than an app).
   */
  from: 'dist' | 'src';
  /** Also serve the other ways of making the Redis floor's one GET (`--floor-variants`). */
  floorVariants: boolean;
}

/** The stores measured, with the cookie name and key prefix of each. */
export const STORES = {
  memory: { cookieName: 'mem' },
  redis: { cookieName: 'red', keyPrefix: 'bench-redis:' },
  cached: { cookieName: 'cac', keyPrefix: 'bench-cached:' },
  /** The memory store with `idleTimeout` (issue 13: the sliding timeout must cost nothing). */
  idle: { cookieName: 'idl', idleTimeout: 1800 },
} as const;
export type StoreName = keyof typeof STORES;
