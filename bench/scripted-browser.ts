/**
 * The user's part of a sign-in at the embedded provider, played with plain HTTP: follows
 * redirects by hand with a cookie jar, fills the login form, and follows the provider's
 * redirect to the app's loopback server (and its redirect to the final page) the way a
 * browser does, without a browser's own scheduling noise. For benchmarks.
 */

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/** Signs in as `username` at the dev provider (started with `autoConsent: true`). */
export async function scriptedSignIn(authorizeUrl: string, username: string): Promise<void> {
  const cookies = new Map<string, string>();
  const provider = new URL(authorizeUrl).origin;
  let url = authorizeUrl;
  let body: URLSearchParams | undefined;
  for (let hop = 0; hop < 20; hop++) {
    if (new URL(url).origin !== provider) {
      // The app's redirect URI: from here on it is the app's server, followed like a browser.
      await (await fetch(url)).arrayBuffer();
      return;
    }
    const response = await fetch(url, {
      method: body ? 'POST' : 'GET',
      body,
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const location = response.headers.get('location');
    if (location !== null) {
      await response.arrayBuffer();
      url = new URL(location, url).href;
      body = undefined;
      continue;
    }
    const action = /<form method="post" action="([^"]+)"/.exec(await response.text())?.[1];
    if (action === undefined) throw new Error(`no login form at ${url} (HTTP ${response.status})`);
    url = new URL(decodeEntities(action), url).href;
    body = new URLSearchParams({ login: username });
  }
  throw new Error('too many redirects');
}
