// Drives a sign-in at the embedded development provider with plain HTTP (no browser): the same
// login and consent forms a browser submits. For tests that need a real code exchange many
// times, and for the login benchmark. Browser tests use test/helpers/browser.ts instead.

/** A minimal cookie jar: name → value, for one site. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  /** Stores the cookies of a response's Set-Cookie headers (Max-Age=0 deletes). */
  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** The Cookie header value, or `undefined` when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * Follows `authorizeUrl` through the dev provider's login (and consent) forms as `username`
 * and resolves the callback URL the provider redirects to (starting with `redirectPrefix`).
 */
export async function signInOverHttp(
  authorizeUrl: string,
  redirectPrefix: string,
  username = 'alice',
): Promise<string> {
  const jar = new CookieJar();
  let url = authorizeUrl;
  let method = 'GET';
  let body: string | undefined;
  for (let step = 0; step < 20; step++) {
    const headers: Record<string, string> = {};
    const cookie = jar.header();
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    jar.store(response);
    const location = response.headers.get('location');
    if (location !== null) {
      await response.body?.cancel();
      const next = new URL(location, url).href;
      if (next.startsWith(redirectPrefix)) return next;
      url = next;
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await response.text();
    const action = /<main id="authflow-(login|consent)"/.exec(html)?.[1];
    if (action === 'login') {
      url = new URL(`${new URL(url).pathname}/login`, url).href;
      body = new URLSearchParams({ login: username }).toString();
    } else if (action === 'consent') {
      url = new URL(`${new URL(url).pathname}/confirm`, url).href;
      body = '';
    } else {
      throw new Error(
        `Unexpected provider page (HTTP ${response.status}) at ${new URL(url).pathname}`,
      );
    }
    method = 'POST';
  }
  throw new Error('Too many steps at the provider');
}
