// Shared pieces of the deploy tests: the dev provider with a real GenericOIDCProvider for it,
// an app factory, and a "browser" (cookie jar) driving app.fetch.
import { after, before } from 'node:test';
import { type AuthApp, type AuthAppOptions, createAuthApp } from '../../../src/deploy/index.js';
import {
  type DevProvider,
  type DevProviderOptions,
  startDevProvider,
} from '../../../src/dev/index.js';
import { GenericOIDCProvider } from '../../../src/providers/oidc.js';
import { CookieJar, signInOverHttp } from './dev-login.js';

export const SECRET = 'test-secret-7f3a9c1e5b2d8f4a6c0e9b7d3f1a5c8e';
export const BASE_URL = 'http://127.0.0.1:4100';

/** node:test fixture: a dev provider for the enclosing describe/file, always closed. */
export function useDevProvider(options: DevProviderOptions = {}): () => DevProvider {
  let dev: DevProvider | undefined;
  before(async () => {
    dev = await startDevProvider(options);
  });
  after(async () => {
    await dev?.close();
  });
  return () => {
    if (dev === undefined) throw new Error('The dev provider is not started yet.');
    return dev;
  };
}

/** A GenericOIDCProvider for the dev provider's confidential web client. */
export function webProvider(dev: DevProvider, timeoutSeconds = 5): GenericOIDCProvider {
  return new GenericOIDCProvider({
    issuerUrl: dev.issuer,
    clientId: dev.webClientId,
    clientSecret: dev.webClientSecret,
    timeoutSeconds,
  });
}

/** An auth app for the dev provider; closed by the caller (or pass it to {@link closeAfter}). */
export function makeApp(dev: DevProvider, options: Partial<AuthAppOptions> = {}): AuthApp {
  return createAuthApp({
    provider: webProvider(dev),
    secret: SECRET,
    baseUrl: BASE_URL,
    ...options,
  });
}

/** Anything with a fetch handler: an AuthApp, a Hono app. */
// biome-ignore lint/suspicious/noExplicitAny: Hono's env parameter type varies per app.
export type Fetcher = { fetch(request: Request, env?: any): Response | Promise<Response> };

/** One browser: a cookie jar plus a client IP, calling an app's fetch (or several apps'). */
export class Browser {
  readonly jar = new CookieJar();
  constructor(
    readonly baseUrl = BASE_URL,
    readonly ip = '10.0.0.1',
  ) {}

  /** Sends a request to `app` with this browser's cookies and stores the cookies it sets. */
  async call(app: Fetcher, path: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers);
    const cookie = this.jar.header();
    if (cookie !== undefined && !headers.has('cookie')) headers.set('cookie', cookie);
    const response = await app.fetch(
      new Request(new URL(path, this.baseUrl), { ...init, headers }),
      {
        remoteAddress: this.ip,
      },
    );
    this.jar.store(response);
    return response;
  }

  /** A same-origin POST, as the app's own pages send it. */
  post(app: Fetcher, path: string, headers: Record<string, string> = {}) {
    return this.call(app, path, { method: 'POST', headers: { origin: this.baseUrl, ...headers } });
  }

  /** Starts a login at `app` and resolves the provider's authorization URL. */
  async startLogin(app: Fetcher, returnTo?: string): Promise<string> {
    const query = returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`;
    const response = await this.call(app, `/auth/login${query}`);
    const location = response.headers.get('location');
    if (response.status !== 302 || location === null) {
      throw new Error(`login answered ${response.status}: ${await response.text()}`);
    }
    return location;
  }

  /** Full sign-in: login at `app`, the provider's forms as `username`, callback at `finishAt`. */
  async signIn(
    app: Fetcher,
    username = 'alice',
    options: { returnTo?: string; finishAt?: Fetcher } = {},
  ) {
    const authorizeUrl = await this.startLogin(app, options.returnTo);
    const callbackUrl = await signInOverHttp(
      authorizeUrl,
      `${this.baseUrl}/auth/callback`,
      username,
    );
    const url = new URL(callbackUrl);
    const response = await this.call(options.finishAt ?? app, `${url.pathname}${url.search}`);
    return { response, callbackUrl };
  }

  /** The value of the app's session cookie in the jar. */
  sessionCookie(name = 'authflow_session'): string | undefined {
    return this.jar.cookies.get(name);
  }

  /** `/auth/status` as JSON. */
  async status(app: Fetcher): Promise<Record<string, unknown>> {
    return (await (await this.call(app, '/auth/status')).json()) as Record<string, unknown>;
  }
}

export { signInOverHttp };
