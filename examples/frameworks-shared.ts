/**
 * What the Express and Fastify examples share: the development provider (with back-channel
 * logout to the app), the auth app, and a call to an API as the user (the provider's userinfo
 * endpoint stands in for Google APIs or Microsoft Graph).
 */
import { type AuthApp, type AuthAppOptions, createAuthApp } from '../src/deploy/index.js';
import { type DevProvider, startDevProvider } from '../src/dev/index.js';
import { GenericOIDCProvider } from '../src/providers/oidc.js';

/** Options of the framework examples. */
export interface FrameworkExampleOptions {
  /** Port on 127.0.0.1. Default 0 (random). */
  port?: number;
  /** A redis:// URL: keep all server-side state there instead of in memory. */
  redis?: string;
  /** Extra auth app options (tests tighten the login rate limit, for instance). */
  auth?: Partial<AuthAppOptions>;
}

/** A running framework example. */
export interface FrameworkExample {
  url: string;
  dev: DevProvider;
  auth: AuthApp;
  close(): Promise<void>;
}

/** Starts the development provider, sending back-channel logouts to `baseUrl`. */
export function startProviderFor(baseUrl: string): Promise<DevProvider> {
  return startDevProvider({ webClientBackchannelLogoutUri: `${baseUrl}/auth/backchannel-logout` });
}

/** The auth app of the examples. */
export function exampleAuth(
  dev: DevProvider,
  baseUrl: string,
  options: FrameworkExampleOptions,
): AuthApp {
  return createAuthApp({
    provider: new GenericOIDCProvider({
      issuerUrl: dev.issuer,
      clientId: dev.webClientId,
      clientSecret: dev.webClientSecret,
    }),
    secret: process.env.AUTH_SECRET ?? randomSecret(),
    baseUrl,
    redis: options.redis,
    idleTimeout: 30 * 60,
    ...options.auth,
  });
}

/**
 * Calls an API as the signed-in user: the provider's userinfo endpoint, with the access token
 * from `auth.getAccessToken` (refreshed first when needed). The token never reaches the browser.
 */
export async function callApiAsUser(
  dev: DevProvider,
  token: { accessToken: string; tokenType: string },
): Promise<{ status: number; body: unknown }> {
  const metadata = (await (
    await fetch(`${dev.issuer}/.well-known/openid-configuration`)
  ).json()) as { userinfo_endpoint: string };
  const response = await fetch(metadata.userinfo_endpoint, {
    headers: { authorization: `${token.tokenType} ${token.accessToken}` },
  });
  return { status: response.status, body: await response.json() };
}

function randomSecret(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}
