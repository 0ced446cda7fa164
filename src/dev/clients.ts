/**
 * The development provider's built-in clients (a public native one, a confidential web one)
 * and its relaxed loopback redirect rule.
 *
 * @module
 */
import type { DevClientMetadata } from './types.js';

/** The redirect checks of oidc-provider's Client class (kept structural: no oidc-provider types here). */
interface RedirectChecks {
  redirectUriAllowed(value: string): boolean;
  postLogoutRedirectUriAllowed(value: string): boolean;
}

/** Client id of the built-in public native client. */
export const NATIVE_CLIENT_ID = 'authflow-native';
/** Client id of the built-in confidential web client. */
export const WEB_CLIENT_ID = 'authflow-web';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The built-in clients, with `extra` added (or replacing a built-in one with the same id). */
export function devClients(
  webClientSecret: string,
  extra: DevClientMetadata[] = [],
  webBackchannelLogoutUri?: string,
) {
  const builtIn: DevClientMetadata[] = [
    {
      client_id: NATIVE_CLIENT_ID,
      client_name: 'authflow (native, development)',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT],
      response_types: ['code'],
      // Placeholders: any loopback URL is accepted (see isLoopbackHttpUrl).
      redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
      post_logout_redirect_uris: ['http://127.0.0.1/', 'http://localhost/'],
    },
    {
      client_id: WEB_CLIENT_ID,
      client_secret: webClientSecret,
      client_name: 'authflow (web, development)',
      application_type: 'web',
      // Basic and post are interchangeable in oidc-provider: a client registered with one
      // may authenticate with the other.
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/auth/callback', 'http://localhost/auth/callback'],
      post_logout_redirect_uris: ['http://127.0.0.1/', 'http://localhost/'],
      ...(webBackchannelLogoutUri === undefined
        ? {}
        : {
            backchannel_logout_uri: webBackchannelLogoutUri,
            backchannel_logout_session_required: true,
          }),
    },
  ];
  const byId = new Map(builtIn.map((client) => [client.client_id, client]));
  for (const client of extra) byId.set(client.client_id, client);
  return [...byId.values()];
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Whether `value` is a plain `http://` URL on a loopback host (any port, any path), without
 * credentials or fragment. RFC 8252 §7.3 lets native clients pick any port; the development
 * provider goes further and accepts any path for every client, so apps and tests need not
 * register their exact callback. Never do this in production.
 *
 * @example
 * ```ts
 * isLoopbackHttpUrl('http://127.0.0.1:53127/anything'); // true
 * isLoopbackHttpUrl('https://127.0.0.1/callback'); // false: not plain http
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-7.3 RFC 8252 §7.3, loopback interface redirection}
 */
export function isLoopbackHttpUrl(value: string): boolean {
  const url = URL.parse(value);
  return (
    url !== null &&
    url.protocol === 'http:' &&
    LOOPBACK_HOSTS.has(url.hostname) &&
    url.username === '' &&
    url.password === '' &&
    !value.includes('#')
  );
}

/**
 * Relaxes redirect URI checking for loopback URLs on this provider's client class, the way
 * oidc-provider's "redirect URI wildcards" recipe does: registered URIs still match exactly,
 * and any loopback http URL matches too.
 */
export function allowAnyLoopbackRedirect(clientPrototype: RedirectChecks): void {
  const { redirectUriAllowed, postLogoutRedirectUriAllowed } = clientPrototype;
  clientPrototype.redirectUriAllowed = function (this: RedirectChecks, value: string) {
    return isLoopbackHttpUrl(value) || redirectUriAllowed.call(this, value);
  };
  clientPrototype.postLogoutRedirectUriAllowed = function (this: RedirectChecks, value: string) {
    return isLoopbackHttpUrl(value) || postLogoutRedirectUriAllowed.call(this, value);
  };
}
