/**
 * URL policy shared by every provider: https everywhere, plain http only on loopback
 * (development and tests).
 *
 * @module
 */
import { ConfigurationError } from '../errors.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Whether `hostname` (as `URL.hostname` spells it) is a loopback host: `127.0.0.1`, `[::1]` or `localhost`. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/**
 * Whether a request to `url` is allowed: `https:` anywhere, `http:` on loopback only.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.3
 */
export function isAllowedUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/**
 * Parses a configured URL and checks it against the policy.
 *
 * @param value The configured value.
 * @param setting Name of the option or variable, used in the error message.
 * @throws ConfigurationError when it is not a URL, uses another scheme, or is plain http on a
 *   non-loopback host.
 */
export function parseProviderUrl(value: string, setting: string): URL {
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ConfigurationError(
      `${setting} must be an absolute https:// URL (got something that is not one).`,
    );
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') {
    throw new ConfigurationError(`${setting} must not contain credentials or a #fragment.`);
  }
  if (!isAllowedUrl(url)) {
    throw new ConfigurationError(
      `${setting} uses plain http:// on ${url.host}. Use https:// — plain http is accepted only on loopback hosts (127.0.0.1, [::1], localhost) for development.`,
    );
  }
  return url;
}

/** Whether a configured issuer needs openid-client's `allowInsecureRequests` (http on loopback). */
export function isInsecureLoopback(url: URL): boolean {
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}
