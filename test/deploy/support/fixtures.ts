// Shared pieces of the deploy tests: the dev provider with a real GenericOIDCProvider for it,
// an app factory, and a "browser" (cookie jar) driving app.fetch.
import { after } from 'node:test';
import { type AuthApp, type AuthAppOptions, createAuthApp } from '../../../src/deploy/index.js';
import type { DevProvider } from '../../../src/dev/index.js';
import { GenericOIDCProvider } from '../../../src/providers/oidc.js';
import { AppBrowser, type Fetcher } from './app-browser.js';
import { signInOverHttp } from './dev-login.js';

export const SECRET = 'test-secret-7f3a9c1e5b2d8f4a6c0e9b7d3f1a5c8e';
export const BASE_URL = 'http://127.0.0.1:4100';

/** A GenericOIDCProvider for the dev provider's confidential web client. */
export function webProvider(dev: DevProvider, timeoutSeconds = 5): GenericOIDCProvider {
  return new GenericOIDCProvider({
    issuerUrl: dev.issuer,
    clientId: dev.webClientId,
    clientSecret: dev.webClientSecret,
    timeoutSeconds,
  });
}

/** An auth app for the dev provider; closed by the caller (or hand it to {@link useAppCloser}'s function). */
export function makeApp(dev: DevProvider, options: Partial<AuthAppOptions> = {}): AuthApp {
  return createAuthApp({
    provider: webProvider(dev),
    secret: SECRET,
    baseUrl: BASE_URL,
    ...options,
  });
}

/** One browser of the deploy tests (see {@link AppBrowser}), with the dev provider's sign-in. */
export class Browser extends AppBrowser {
  constructor(baseUrl = BASE_URL, ip = '10.0.0.1') {
    super(baseUrl, ip);
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

export { useDevProvider } from '../../helpers/dev-provider.js';
export { signInOverHttp };

/**
 * node:test fixture for apps a `describe` creates in its tests: the returned function takes an
 * app, and every app it took is closed after the tests of the enclosing `describe` (or file),
 * even when they fail.
 */
export function useAppCloser(): <T extends AuthApp>(app: T) => T {
  const apps: AuthApp[] = [];
  after(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  return (app) => {
    apps.push(app);
    return app;
  };
}
