/** What `bench/web.ts` and the servers it starts share. */

/** Passed to a bench server as JSON in the BENCH_CONFIG environment variable. */
export interface ServerConfig {
  redisUrl: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  secret: string;
}

/** The stores measured, with the cookie name and key prefix of each. */
export const STORES = {
  memory: { cookieName: 'mem' },
  redis: { cookieName: 'red', keyPrefix: 'bench-redis:' },
  cached: { cookieName: 'cac', keyPrefix: 'bench-cached:' },
} as const;
export type StoreName = keyof typeof STORES;
