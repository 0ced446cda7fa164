/**
 * Client authentication at the token, revocation and device endpoints.
 *
 * @module
 */
import type * as client from 'openid-client';

/**
 * RFC 6749 §2.3.1: the client id and secret in HTTP Basic are each form-encoded first. Only
 * RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`) stay as they are; everything else,
 * a space included, becomes `%XX` of its UTF-8 bytes.
 *
 * Why not oauth4webapi's own `ClientSecretBasic`: it percent-encodes `- . _ ~` as well (`-`
 * becomes `%2D`). A conforming server decodes that back, but many servers in use do not decode
 * the Basic credentials at all (measured: oauth2-mock-server, Glewlwyd, authlib), and then a
 * client id such as `my-app` arrives as `my%2Dapp` and is refused. Leaving the unreserved
 * characters alone is what the RFC's encoding produces for them, and works with both kinds.
 */
export function formEncodeCredential(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * `client_secret_basic` with {@link formEncodeCredential}: the `Authorization: Basic` header
 * built from the client id and secret.
 */
export function clientSecretBasic(clientSecret: string): client.ClientAuth {
  if (typeof clientSecret !== 'string') throw new TypeError('clientSecret must be a string');
  return (_as, metadata, _body, headers) => {
    const credentials = `${formEncodeCredential(metadata.client_id)}:${formEncodeCredential(clientSecret)}`;
    // Only ASCII is left after encoding, so btoa is exact.
    headers.set('authorization', `Basic ${btoa(credentials)}`);
  };
}
