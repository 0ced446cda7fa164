/**
 * Google (OpenID Connect, issuer `https://accounts.google.com`).
 *
 * @module
 */

import { GenericOIDCProvider } from './oidc.js';
import type { BaseProviderOptions } from './options.js';

/** Google's issuer identifier. */
export const GOOGLE_ISSUER = 'https://accounts.google.com';

/** Options of {@link GoogleProvider}. */
export interface GoogleProviderOptions extends BaseProviderOptions {
  /**
   * The OAuth client id from Google Cloud Console ("Desktop app" client for native mode,
   * "Web application" for deploy mode).
   */
  clientId: string;
  /**
   * The client secret. Google issues one to Desktop app clients too and expects it at the
   * token endpoint (it is not treated as confidential there).
   */
  clientSecret?: string;
  /** Scopes to request. Default `['openid', 'email', 'profile']`. */
  scopes?: readonly string[];
}

/**
 * Google sign-in. Every authorization request carries `access_type=offline` and
 * `prompt=consent`, so Google returns a refresh token each time (it sends one only on
 * consent). Pass `extraAuthorizeParams: { prompt: 'select_account' }` to change the prompt.
 *
 * @see https://developers.google.com/identity/protocols/oauth2/native-app
 * @example
 * ```ts
 * const google = new GoogleProvider({ clientId, clientSecret, scopes: ['openid', 'email'] });
 * ```
 */
export class GoogleProvider extends GenericOIDCProvider {
  constructor(options: GoogleProviderOptions) {
    super(
      { ...options, issuerUrl: GOOGLE_ISSUER, name: 'google' },
      { authorizeParams: { access_type: 'offline', prompt: 'consent' } },
    );
  }
}
