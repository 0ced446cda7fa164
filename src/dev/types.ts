/**
 * Public types of the embedded development provider (`authflow/dev`).
 *
 * @module
 */

/**
 * Extra claims for a signed-in user, returned by {@link DevProviderOptions.claims}.
 * Released with the `profile` scope when their names are `groups`, `roles`, or listed in
 * {@link DevProviderOptions.extraClaimNames}.
 */
export type DevAccountClaims = Record<string, unknown>;

/**
 * Client metadata as oidc-provider takes it (OpenID Connect Dynamic Client Registration
 * names, snake_case), e.g. `{ client_id, client_secret, redirect_uris, grant_types,
 * token_endpoint_auth_method }`. Must contain `client_id`.
 */
export type DevClientMetadata = { client_id: string } & Record<string, unknown>;

/** Options of {@link startDevProvider}. Every field is optional. */
export interface DevProviderOptions {
  /** TCP port on 127.0.0.1. Default `0`: a random free port. */
  port?: number;
  /**
   * A directory of the user's where the provider keeps its signing keys, cookie keys, web
   * client secret, and its grants, sessions and tokens (created mode 0700, files 0600). A
   * provider restarted with the same `stateDir` on the same `port` is the same provider: tokens
   * from an earlier run stay valid. One running provider per directory. Default: keys are
   * generated at start and everything stays in memory.
   */
  stateDir?: string;
  /**
   * Skip the consent page and grant every requested scope at once. Default `false`, so the
   * real consent page is exercised.
   */
  autoConsent?: boolean;
  /**
   * Extra claims for a user, e.g. `(id) => ({ groups: id === 'alice' ? ['admins'] : [] })`.
   * Merged over the built-in ones (`name`, `preferred_username`, `email`, `email_verified`).
   */
  claims?: (accountId: string) => DevAccountClaims | Promise<DevAccountClaims>;
  /**
   * Names of extra claims (besides `groups` and `roles`) that {@link claims} returns and that
   * the `profile` scope should release.
   */
  extraClaimNames?: string[];
  /** Rotate refresh tokens on every use (the old one is then rejected). Default `true`. */
  rotateRefreshTokens?: boolean;
  /** Access token lifetime in seconds. Default `3600`. */
  accessTokenTtl?: number;
  /** ID token lifetime in seconds. Default `3600`. */
  idTokenTtl?: number;
  /** Refresh token lifetime in seconds. Default `1209600` (14 days). */
  refreshTokenTtl?: number;
  /** Device code lifetime in seconds. Default `600`. */
  deviceCodeTtl?: number;
  /**
   * Polling interval (seconds) announced in device authorization responses. Default `1`, so
   * device flows finish quickly in development (RFC 8628's default is 5).
   */
  devicePollInterval?: number;
  /** Secret of the confidential web client `authflow-web`. Default: random at each start. */
  webClientSecret?: string;
  /**
   * Extra clients, or replacements of the built-in ones (same `client_id`). They get the same
   * loopback redirect relaxation unless {@link strictRedirectUris} is set.
   */
  clients?: DevClientMetadata[];
  /**
   * Match redirect URIs exactly as registered, as a production server must. Default `false`:
   * any `http://127.0.0.1`, `http://localhost` or `http://[::1]` URL, any port and path, is
   * accepted (development only; see docs/dev-provider.md).
   */
  strictRedirectUris?: boolean;
}

/** Endpoints whose answers a test can spoil with {@link DevProvider.setFault}. */
export type DevFaultEndpoint = 'token' | 'userinfo';

/**
 * How a faulty endpoint answers: `status500` a JSON `server_error` with HTTP 500, `hang` never
 * answers (until the provider closes), `html` an HTML page with HTTP 200 instead of JSON.
 */
export type DevFaultKind = 'status500' | 'hang' | 'html';

/** A fault injected into one endpoint. */
export interface DevFault {
  /** Endpoint to spoil. */
  endpoint: DevFaultEndpoint;
  /** How it misbehaves. */
  kind: DevFaultKind;
}

/** Token endpoint requests seen since start or the last {@link DevProvider.resetCounters}. */
export interface TokenRequestCounters {
  /** `grant_type=authorization_code` requests. */
  authorization_code: number;
  /** `grant_type=refresh_token` requests. */
  refresh_token: number;
  /** `grant_type=urn:ietf:params:oauth:grant-type:device_code` requests (each poll counts). */
  device_code: number;
  /** Requests with any other or no grant type. */
  other: number;
  /** All token endpoint requests, including failed and faulted ones. */
  total: number;
}

/** The answer of the introspection endpoint (RFC 7662). */
export interface IntrospectionResult {
  /** Whether the token is currently valid. */
  active: boolean;
  [claim: string]: unknown;
}

/** A running development provider, returned by {@link startDevProvider}. */
export interface DevProvider {
  /** Issuer identifier, `http://127.0.0.1:<port>`; discovery is under `/.well-known/openid-configuration`. */
  readonly issuer: string;
  /** The port it listens on (127.0.0.1 only). */
  readonly port: number;
  /** Client id of the public native client (`authflow-native`): PKCE, loopback redirects, device flow. */
  readonly clientId: string;
  /** Client id of the confidential web client (`authflow-web`). */
  readonly webClientId: string;
  /** Secret of the web client (`client_secret_basic` or `client_secret_post`). */
  readonly webClientSecret: string;
  /** Page where a user enters a device flow user code (`<issuer>/device`). */
  readonly deviceVerificationUrl: string;
  /** Live counters of token endpoint requests, by grant type. */
  readonly tokenRequests: Readonly<TokenRequestCounters>;
  /** Sets all {@link tokenRequests} counters back to zero. */
  resetCounters(): void;
  /** Makes an endpoint fail until called again with `null`. Hanging requests end at {@link close}. */
  setFault(fault: DevFault | null): void;
  /** Asks the provider's introspection endpoint (as the web client) whether a token is active. */
  introspect(token: string): Promise<IntrospectionResult>;
  /** Stops listening and closes every connection, keep-alive ones included. Idempotent. */
  close(): Promise<void>;
}
