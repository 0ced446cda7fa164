/**
 * The authorization code grant with PKCE: the authorization URL, and the callback URL that
 * openid-client validates (state, RFC 9207 `iss`, `error=`) before the code is exchanged.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 * @see https://www.rfc-editor.org/rfc/rfc7636 (PKCE)
 * @module
 */
import { AuthenticationError, ConfigurationError, ErrorCodes } from '../errors.js';
import type { ResolvedProviderOptions } from './options.js';
import type { AuthorizeUrlParams } from './types.js';

/**
 * The authorization request's parameters: the provider's and the caller's extras first, so
 * that the protocol parameters always win.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @example
 * authorizationQuery(settings, { redirectUri, state, codeChallenge });
 * // { response_type: 'code', redirect_uri, scope: 'openid email', state,
 * //   code_challenge, code_challenge_method: 'S256' }
 */
export function authorizationQuery(
  settings: ResolvedProviderOptions,
  params: AuthorizeUrlParams,
): Record<string, string> {
  const query: Record<string, string> = {
    ...settings.authorizeParams,
    ...params.extraParams,
    response_type: 'code',
    redirect_uri: params.redirectUri,
    scope: settings.scopes.join(' '),
    state: params.state,
  };
  if (settings.isOidc && params.nonce !== undefined) query.nonce = params.nonce;
  if (params.codeChallenge !== undefined) {
    query.code_challenge = params.codeChallenge;
    query.code_challenge_method = 'S256';
  }
  if (settings.maxAge !== undefined) query.max_age = String(settings.maxAge);
  return query;
}

/**
 * The callback URL openid-client sees: the registered redirect URI plus the response's
 * query. A response carrying tokens is refused: a code flow never sends them there.
 *
 * @throws {ConfigurationError} when `redirectUri` is not an absolute URL without query.
 * @throws {AuthenticationError} `validation_failed` for a missing or token-carrying callback.
 */
export function callbackFor(redirectUri: string, callbackUrl: URL, provider: string): URL {
  const url = URL.parse(redirectUri);
  if (url === null || url.search !== '' || url.hash !== '') {
    throw new ConfigurationError(
      'redirectUri must be an absolute URL without a query or fragment.',
      { provider },
    );
  }
  if (!(callbackUrl instanceof URL)) {
    throw new AuthenticationError('The callback URL is missing.', {
      provider,
      code: ErrorCodes.VALIDATION_FAILED,
    });
  }
  for (const injected of ['access_token', 'refresh_token']) {
    // openid-client refuses `id_token` and `token` itself.
    if (callbackUrl.searchParams.has(injected)) {
      throw new AuthenticationError(
        `The authorization response carries "${injected}", which a code flow never does. Nothing was stored; start a new sign-in.`,
        { provider, code: ErrorCodes.VALIDATION_FAILED },
      );
    }
  }
  url.search = callbackUrl.search;
  return url;
}
