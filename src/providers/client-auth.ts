/**
 * Client authentication at the token, revocation and device endpoints.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 *
 * @module
 */
import * as client from 'openid-client';

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

/**
 * The client authentication for a secret and a configured method. Without a method, HTTP
 * Basic, or `client_secret_post` when the provider advertises only that.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2 (`token_endpoint_auth_methods_supported`)
 */
export function clientAuthFor(
  secret: string | undefined,
  method: 'client_secret_basic' | 'client_secret_post' | 'none' | undefined,
): client.ClientAuth {
  if (secret === undefined || method === 'none') return client.None();
  if (method === 'client_secret_post') return client.ClientSecretPost(secret);
  if (method === 'client_secret_basic') return clientSecretBasic(secret);
  const basic = clientSecretBasic(secret);
  const post = client.ClientSecretPost(secret);
  return (as, metadata, body, headers) => {
    const supported = as.token_endpoint_auth_methods_supported;
    const postOnly =
      Array.isArray(supported) &&
      supported.includes('client_secret_post') &&
      !supported.includes('client_secret_basic');
    return (postOnly ? post : basic)(as, metadata, body, headers);
  };
}
