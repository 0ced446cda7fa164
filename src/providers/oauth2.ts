/**
 * A plain OAuth 2.0 provider, configured with explicit endpoint URLs.
 *
 * @module
 */
import * as client from 'openid-client';
import { BaseProvider } from './base.js';
import type { BaseProviderOptions, ProviderTraits } from './options.js';
import { isInsecureLoopback, parseProviderUrl } from './url.js';

/** Options of {@link OAuth2Provider}. */
export interface OAuth2ProviderOptions extends BaseProviderOptions {
  /** Authorization endpoint URL (https://; http:// only on loopback). */
  authorizeUrl: string;
  /** Token endpoint URL. */
  tokenUrl: string;
  /** Endpoint returning the user's profile as JSON for the access token. Without it, `getUserInfo` resolves `{}`. */
  userinfoUrl?: string;
  /** Revocation endpoint (RFC 7009). Without it, `revokeToken` resolves `false`. */
  revocationUrl?: string;
  /** Device authorization endpoint (RFC 8628), if the provider has one. */
  deviceAuthorizationUrl?: string;
  /**
   * The server's issuer identifier (RFC 8414), checked against an `iss` parameter in
   * authorization responses (RFC 9207). Default: the origin of `authorizeUrl`.
   */
  issuer?: string;
  /** Scopes to request. Default none (the provider's default). */
  scopes?: readonly string[];
  /** Provider name reported in errors and `provider.name`. Default `oauth2`. */
  name?: string;
}

/**
 * A plain OAuth 2.0 provider: no ID token (`isOidc` is `false`), user profile from `userinfoUrl`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749
 * @example
 * ```ts
 * const provider = new OAuth2Provider({
 *   clientId: 'my-app',
 *   authorizeUrl: 'https://auth.example.com/authorize',
 *   tokenUrl: 'https://auth.example.com/token',
 * });
 * ```
 */
export class OAuth2Provider extends BaseProvider {
  readonly #metadata: client.ServerMetadata;
  readonly #insecure: boolean;

  constructor(options: OAuth2ProviderOptions, traits?: Partial<ProviderTraits>) {
    super(options, { name: options?.name ?? 'oauth2', defaultScopes: [], oidc: false, ...traits });
    const url = (value: string | undefined, option: string) =>
      value === undefined ? undefined : parseProviderUrl(value, `${this.name}: ${option}`);
    const authorize = url(String(options.authorizeUrl ?? ''), 'authorizeUrl') as URL;
    const token = url(String(options.tokenUrl ?? ''), 'tokenUrl') as URL;
    const endpoints = [
      authorize,
      token,
      url(options.userinfoUrl, 'userinfoUrl'),
      url(options.revocationUrl, 'revocationUrl'),
      url(options.deviceAuthorizationUrl, 'deviceAuthorizationUrl'),
    ];
    this.#insecure = endpoints.some(
      (endpoint) => endpoint !== undefined && isInsecureLoopback(endpoint),
    );
    const issuer =
      options.issuer === undefined ? authorize.origin : url(options.issuer, 'issuer')?.href;
    this.#metadata = {
      issuer: issuer as string,
      authorization_endpoint: authorize.href,
      token_endpoint: token.href,
      ...(endpoints[2] && { userinfo_endpoint: endpoints[2].href }),
      ...(endpoints[3] && { revocation_endpoint: endpoints[3].href }),
      ...(endpoints[4] && { device_authorization_endpoint: endpoints[4].href }),
    };
  }

  protected override async loadConfiguration(): Promise<client.Configuration> {
    const config = new client.Configuration(
      this.#metadata,
      this.clientId,
      this.clientMetadata(),
      this.clientAuth(),
    );
    return this.prepare(config, this.#insecure);
  }
}
