/**
 * Any OpenID Connect provider, configured by discovery.
 *
 * @module
 */
import * as client from 'openid-client';
import { BaseProvider } from './base.js';
import type { BaseProviderOptions, ProviderTraits } from './options.js';
import { isInsecureLoopback, parseProviderUrl } from './url.js';

/** Options of {@link GenericOIDCProvider}. */
export interface GenericOIDCProviderOptions extends BaseProviderOptions {
  /**
   * The issuer identifier, e.g. `https://accounts.example.com/realms/main`. Its
   * `/.well-known/openid-configuration` is fetched on first use, and the `issuer` it names
   * must be exactly this URL. `https://` only; `http://` is accepted on loopback hosts
   * (127.0.0.1, [::1], localhost) for development.
   */
  issuerUrl: string;
  /** Scopes to request. Default `['openid', 'email', 'profile']`. */
  scopes?: readonly string[];
  /** Authorization endpoint; overrides the discovered one. */
  authorizeUrl?: string;
  /** Token endpoint; overrides the discovered one. */
  tokenUrl?: string;
  /** UserInfo endpoint; overrides the discovered one. */
  userinfoUrl?: string;
  /** Revocation endpoint (RFC 7009); overrides the discovered one. */
  revocationUrl?: string;
  /** End-session endpoint (RP-initiated logout); overrides the discovered one. */
  endSessionUrl?: string;
  /** Provider name reported in errors and `provider.name`. Default `oidc`. */
  name?: string;
}

const ENDPOINT_OPTIONS = [
  ['authorizeUrl', 'authorization_endpoint'],
  ['tokenUrl', 'token_endpoint'],
  ['userinfoUrl', 'userinfo_endpoint'],
  ['revocationUrl', 'revocation_endpoint'],
  ['endSessionUrl', 'end_session_endpoint'],
] as const;

/**
 * A generic OpenID Connect provider. Discovery runs lazily on first use and is cached; a
 * failed discovery is retried on the next call. ID tokens are validated by openid-client
 * (claims, and signature against the JWKS).
 *
 * @example
 * ```ts
 * const provider = new GenericOIDCProvider({
 *   clientId: 'my-app',
 *   issuerUrl: 'https://auth.example.com',
 * });
 * ```
 */
export class GenericOIDCProvider extends BaseProvider {
  /** The configured issuer. */
  readonly issuerUrl: URL;
  readonly #overrides: Partial<client.ServerMetadata>;

  constructor(options: GenericOIDCProviderOptions, traits?: Partial<ProviderTraits>) {
    super(options, {
      name: options?.name ?? 'oidc',
      defaultScopes: ['openid', 'email', 'profile'],
      oidc: 'auto',
      ...traits,
    });
    this.issuerUrl = parseProviderUrl(String(options.issuerUrl ?? ''), `${this.name}: issuerUrl`);
    const overrides: Record<string, string> = {};
    for (const [option, field] of ENDPOINT_OPTIONS) {
      const value = options[option];
      if (value !== undefined) {
        overrides[field] = parseProviderUrl(value, `${this.name}: ${option}`).href;
      }
    }
    this.#overrides = overrides;
  }

  protected override async loadConfiguration(): Promise<client.Configuration> {
    const insecure = isInsecureLoopback(this.issuerUrl);
    const discovered = await client.discovery(
      this.issuerUrl,
      this.clientId,
      this.clientMetadata(),
      this.clientAuth(),
      this.discoveryOptions(insecure),
    );
    if (Object.keys(this.#overrides).length === 0) return this.prepare(discovered, insecure);
    // Explicit endpoints win over discovered ones.
    const config = new client.Configuration(
      { ...discovered.serverMetadata(), ...this.#overrides },
      this.clientId,
      this.clientMetadata(),
      this.clientAuth(),
    );
    return this.prepare(config, insecure);
  }
}
