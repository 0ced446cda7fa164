// A "browser" for deploy tests without a real one: a cookie jar and a client IP, calling an
// app's fetch handler directly. The deploy tests and the security rig extend it with the steps
// they need.
import { CookieJar } from './dev-login.js';

/** Anything with a fetch handler: an AuthApp, a Hono app. */
// biome-ignore lint/suspicious/noExplicitAny: Hono's env parameter type varies per app.
export type Fetcher = { fetch(request: Request, env?: any): Response | Promise<Response> };

/** One browser: a cookie jar plus a client IP, calling an app's fetch (or several apps'). */
export class AppBrowser {
  readonly jar = new CookieJar();
  constructor(
    /** The site's origin, which relative paths resolve against. */
    readonly baseUrl: string,
    /** The client address the app sees (`remoteAddress`). */
    readonly ip: string,
  ) {}

  /** Sends a request with this browser's cookies (unless `init` sets its own) and keeps the cookies set. */
  async call(app: Fetcher, path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.jar.header();
    if (cookie !== undefined && !headers.has('cookie')) headers.set('cookie', cookie);
    const response = await app.fetch(
      new Request(new URL(path, this.baseUrl), { ...init, headers }),
      { remoteAddress: this.ip },
    );
    this.jar.store(response);
    return response;
  }

  /** A same-origin POST, as the app's own pages send it. */
  post(app: Fetcher, path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.call(app, path, { method: 'POST', headers: { origin: this.baseUrl, ...headers } });
  }
}
