/**
 * The contract every provider implements. Protocol work behind it goes through
 * openid-client v6; callers never see openid-client types.
 *
 * @module
 */
import type { OAuthTokenSet } from '../tokens/token-set.js';

/** Claims about the signed-in user, as the provider's userinfo endpoint (or `/user` on GitHub) returns them. */
export type UserInfo = Record<string, unknown>;

/** Parameters for {@link OAuthProvider.buildAuthorizeUrl}. */
export interface AuthorizeUrlParams {
  /** The redirect URI registered with the provider, e.g. `http://127.0.0.1:53412/callback`. */
  redirectUri: string;
  /** The CSRF `state` value (≥ 128 bits of randomness). */
  state: string;
  /** The OIDC `nonce`; sent only when the scope has `openid`. */
  nonce?: string;
  /** The PKCE S256 code challenge; omitted when PKCE is off. */
  codeChallenge?: string;
  /** Extra authorization request parameters (e.g. `login_hint`, `prompt`). They cannot override the ones above. */
  extraParams?: Record<string, string>;
}

/** Parameters for {@link OAuthProvider.exchangeCode}. */
export interface ExchangeCodeParams {
  /**
   * The full URL the provider redirected the browser to (with `code`, `state`, and
   * `iss` when present). The provider validates `state`, `iss` (RFC 9207) and errors.
   */
  callbackUrl: URL;
  /** The redirect URI used in the authorization request. */
  redirectUri: string;
  /** The `state` sent in the authorization request. */
  expectedState: string;
  /** The `nonce` sent in the authorization request, if any. */
  expectedNonce?: string;
  /** The PKCE code verifier, when PKCE was used. */
  codeVerifier?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * A device authorization in progress.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2
 */
export interface DeviceAuthorization {
  /** Code the user types at the verification page. */
  userCode: string;
  /** Page where the user enters the code. */
  verificationUri: string;
  /** Page with the code already filled in, when the provider offers one. */
  verificationUriComplete?: string;
  /** Seconds until the device code expires. */
  expiresIn: number;
  /** Seconds to wait between polls, as the provider asked. */
  interval: number;
  /**
   * Polls the token endpoint until the user approves, honouring `slow_down`;
   * rejects on `expired_token`, `access_denied`, or abort.
   */
  poll(signal?: AbortSignal): Promise<OAuthTokenSet>;
}

/** One OAuth 2.0 / OpenID Connect provider. */
export interface OAuthProvider {
  /** Short name, e.g. `google`, `github`, `microsoft`, `oidc`, `oauth2`. */
  readonly name: string;
  /** The client id registered at the provider. */
  readonly clientId: string;
  /** Scopes requested by default. */
  readonly scopes: readonly string[];
  /** Whether the scopes include `openid` (an ID token is expected and validated). */
  readonly isOidc: boolean;

  /** Builds the authorization URL the browser is sent to. */
  buildAuthorizeUrl(params: AuthorizeUrlParams): Promise<URL>;
  /**
   * Validates the authorization response and exchanges the code for tokens. Validates
   * the ID token (signature against the JWKS, `iss`, `aud`, `exp`, `iat`, `nonce`) when one comes.
   * Rejects with `AuthenticationError` on any failure.
   */
  exchangeCode(params: ExchangeCodeParams): Promise<OAuthTokenSet>;
  /**
   * Refreshes tokens. Rejects with `TokenRefreshError` (`ErrorCodes.REAUTH_REQUIRED` on `invalid_grant`).
   * Pass the current `idToken` so that a refreshed ID token is checked to be about the same
   * user (`sub`) from the same issuer (OIDC Core §12.2).
   */
  refreshTokens(
    refreshToken: string,
    options?: { signal?: AbortSignal; idToken?: string },
  ): Promise<OAuthTokenSet>;
  /**
   * Fetches the user's claims. For OIDC providers the `sub` must equal the ID token's
   * `sub` (taken from `tokens.idToken`), else it rejects.
   */
  getUserInfo(tokens: OAuthTokenSet, options?: { signal?: AbortSignal }): Promise<UserInfo>;
  /**
   * Revokes a token (RFC 7009 or the provider's own API). Resolves `true` when revoked,
   * `false` when the provider has no revocation. Rejects when revocation failed.
   */
  revokeToken(token: string, tokenTypeHint?: 'access_token' | 'refresh_token'): Promise<boolean>;
  /** RP-initiated logout URL, when the provider has an end-session endpoint. */
  buildEndSessionUrl?(params: {
    idTokenHint?: string;
    postLogoutRedirectUri?: string;
    state?: string;
  }): Promise<URL | undefined>;
  /** Starts a device authorization (RFC 8628), when the provider supports it. */
  startDeviceAuthorization?(options?: { signal?: AbortSignal }): Promise<DeviceAuthorization>;
  /** Whether the provider supports the device authorization grant. */
  supportsDeviceFlow?(): Promise<boolean>;
  /**
   * The provider's metadata (discovered or configured): `issuer`, `jwks_uri`, ... Deploy mode
   * validates back-channel logout tokens against them.
   */
  serverMetadata?(): Promise<ProviderMetadata>;
}

/** The parts of a provider's metadata (RFC 8414 / OpenID Connect Discovery) authflow reads. */
export interface ProviderMetadata {
  /** The issuer identifier. */
  issuer: string;
  /** Where the provider publishes its signing keys. */
  jwks_uri?: string;
  /** Algorithms the provider signs ID tokens with. */
  id_token_signing_alg_values_supported?: string[];
  /** Whether the provider supports OpenID Connect Back-Channel Logout. */
  backchannel_logout_supported?: boolean;
  [field: string]: unknown;
}

/**
 * The user id used as the key for stored tokens: first non-empty of `sub`, `id`,
 * `login`, `email`, else `'default'`.
 */
export function userIdFromUserInfo(userInfo: UserInfo | undefined): string {
  for (const key of ['sub', 'id', 'login', 'email']) {
    const value = userInfo?.[key];
    if ((typeof value === 'string' && value.length > 0) || typeof value === 'number') {
      return String(value);
    }
  }
  return 'default';
}
