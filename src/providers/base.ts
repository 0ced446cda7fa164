/**
 * What every provider shares: one lazily built openid-client `Configuration`, and the
 * {@link OAuthProvider} operations on top of it. Each operation runs through
 * {@link BaseProvider.run}, where every failure is mapped to authflow's errors (see
 * `error-policy.ts`). Subclasses say how the Configuration is made (discovery or explicit
 * metadata) and add their provider's quirks.
 *
 * The operations themselves live beside this file, one concept each: `options.ts`,
 * `authorization-code.ts`, `id-token.ts`, `userinfo.ts`, `sign-out.ts`, `device.ts`.
 *
 * @module
 */
import * as client from 'openid-client';
import {
  type AuthenticationError,
  ConfigurationError,
  ErrorCodes,
  TokenRefreshError,
} from '../errors.js';
import type { OAuthTokenSet } from '../tokens/token-set.js';
import { authorizationQuery, callbackFor } from './authorization-code.js';
import { clientAuthFor } from './client-auth.js';
import { describeDeviceCode, pollDeviceCode, requestDeviceCode } from './device.js';
import { type ErrorContext, type ProviderOperation, toAuthflowError } from './error-policy.js';
import { abortable, createProviderFetch, runDetached, runProviderCall } from './http.js';
import {
  changedSubject,
  type IdTokenGrant,
  idTokenAgeProblem,
  invalidIdToken,
} from './id-token.js';
import {
  type BaseProviderOptions,
  checkExtraParams,
  type ProviderTraits,
  type ResolvedProviderOptions,
  resolveProviderOptions,
} from './options.js';
import { type EndSessionParams, endSessionUrl, revokeAtEndpoint } from './sign-out.js';
import { toTokenSet } from './token-response.js';
import type {
  AuthorizeUrlParams,
  DeviceAuthorization,
  ExchangeCodeParams,
  OAuthProvider,
  UserInfo,
} from './types.js';
import { isAllowedUrl } from './url.js';
import { fetchJsonResource, fetchUserClaims, requireAccessToken } from './userinfo.js';

/**
 * Base class of the built-in providers. Not meant to be subclassed outside authflow.
 *
 * @example
 * const provider = new GoogleProvider({ clientId, clientSecret });
 * const url = await provider.buildAuthorizeUrl({ redirectUri, state, codeChallenge });
 */
export abstract class BaseProvider implements OAuthProvider {
  readonly name: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly isOidc: boolean;
  /** Deadline of each request, in seconds. */
  protected readonly timeoutSeconds: number;
  /** Tolerated clock skew, in seconds. */
  protected readonly clockTolerance: number;
  /** The `max_age` sent and checked, if any. */
  protected readonly maxAge: number | undefined;
  /** The guarded fetch all requests go through. */
  protected readonly fetch: client.CustomFetch;
  /** Token endpoint `error` values that mean the refresh token is dead. */
  protected reauthErrors: readonly string[] = ['invalid_grant'];
  /** Whether granted scopes come comma-separated (GitHub). */
  protected commaSeparatedScope = false;
  readonly #settings: ResolvedProviderOptions;
  #configuration: Promise<client.Configuration> | undefined;

  /** @throws {ConfigurationError} when an option is missing or invalid. */
  constructor(options: BaseProviderOptions, traits: ProviderTraits) {
    const settings = resolveProviderOptions(options, traits);
    this.#settings = settings;
    this.name = settings.name;
    this.clientId = settings.clientId;
    this.scopes = settings.scopes;
    this.isOidc = settings.isOidc;
    this.timeoutSeconds = settings.timeoutSeconds;
    this.clockTolerance = settings.clockTolerance;
    this.maxAge = settings.maxAge;
    this.fetch = createProviderFetch({ fetch: options.fetch, onResponse: traits.onResponse });
  }

  /** Builds the openid-client Configuration (discovery, or explicit metadata). */
  protected abstract loadConfiguration(): Promise<client.Configuration>;

  /**
   * The Configuration, built on first use and kept. A failed build is not kept, so the next
   * call tries again (the provider may have been down for a moment).
   */
  protected configuration(): Promise<client.Configuration> {
    if (this.#configuration === undefined) {
      const pending = runDetached(() => this.loadConfiguration());
      this.#configuration = pending;
      pending.catch(() => {
        if (this.#configuration === pending) this.#configuration = undefined;
      });
    }
    return this.#configuration;
  }

  /** Client metadata given to openid-client. */
  protected clientMetadata(): Partial<client.ClientMetadata> {
    return { [client.clockTolerance]: this.clockTolerance };
  }

  /** Client authentication for the token, revocation and device endpoints. */
  protected clientAuth(): client.ClientAuth {
    return clientAuthFor(this.#settings.clientSecret, this.#settings.authMethod);
  }

  /** Applies authflow's settings to a fresh Configuration. */
  protected prepare(config: client.Configuration, insecureLoopback: boolean): client.Configuration {
    config[client.customFetch] = this.fetch;
    config.timeout = this.timeoutSeconds;
    if (insecureLoopback) client.allowInsecureRequests(config);
    // openid-client checks only the ID token's claims by default; this adds its signature
    // against the provider's JWKS (and refuses HS* and `none`).
    client.enableNonRepudiationChecks(config);
    return config;
  }

  /** Options for openid-client's discovery. */
  protected discoveryOptions(insecureLoopback: boolean): client.DiscoveryRequestOptions {
    return {
      [client.customFetch]: this.fetch,
      timeout: this.timeoutSeconds,
      ...(insecureLoopback ? { execute: [client.allowInsecureRequests] } : {}),
    };
  }

  /**
   * Runs one provider operation: `signal` applies to its requests, and every failure comes
   * out of {@link toAuthflowError}, the one place that maps and wraps them.
   */
  protected run<T>(
    operation: ProviderOperation,
    signal: AbortSignal | undefined,
    fn: (config: client.Configuration) => Promise<T>,
    extra: Pick<ErrorContext, 'deviceExpiresIn' | 'deviceExpiry'> = {},
  ): Promise<T> {
    return runProviderCall(signal, async (call) => {
      const context: ErrorContext = {
        provider: this.name,
        timeoutSeconds: this.timeoutSeconds,
        signal,
        ...extra,
      };
      let config: client.Configuration;
      try {
        config = await abortable(this.configuration(), signal);
      } catch (error) {
        throw toAuthflowError(error, operation, { ...context, discovering: true });
      }
      try {
        return await fn(config);
      } catch (error) {
        throw toAuthflowError(error, operation, {
          ...context,
          reauthErrors: this.reauthErrors,
          tokenRequestSent: call.tokenRequestSent,
        });
      }
    });
  }

  /**
   * Builds the authorization URL (`response_type=code`, S256 PKCE when a challenge is given).
   *
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
   * @throws {ConfigurationError} for protected `extraParams`, or a non-https endpoint.
   */
  async buildAuthorizeUrl(params: AuthorizeUrlParams): Promise<URL> {
    checkExtraParams(params.extraParams ?? {}, 'extraParams');
    return this.run('authorize', undefined, async (config) => {
      const url = client.buildAuthorizationUrl(config, authorizationQuery(this.#settings, params));
      if (!isAllowedUrl(url)) {
        throw new ConfigurationError(
          `${this.name}: the authorization endpoint is not https://. Use an https:// provider; plain http is accepted only on loopback.`,
          { provider: this.name },
        );
      }
      return url;
    });
  }

  /**
   * Validates the authorization response (state, RFC 9207 `iss`, `error=`) and exchanges the
   * code; an ID token is validated (signature, `iss`, `aud`, `exp`, `iat`, `nonce`, `auth_time`).
   *
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
   * @see https://www.rfc-editor.org/rfc/rfc9207
   */
  async exchangeCode(params: ExchangeCodeParams): Promise<OAuthTokenSet> {
    const callback = callbackFor(params.redirectUri, params.callbackUrl, this.name);
    return this.run('exchange', params.signal, async (config) => {
      const result = await client.authorizationCodeGrant(config, callback, {
        expectedState: params.expectedState,
        expectedNonce: this.isOidc ? params.expectedNonce : undefined,
        pkceCodeVerifier: params.codeVerifier,
        idTokenExpected: this.isOidc,
        maxAge: this.isOidc ? this.maxAge : undefined,
      });
      return this.#accept(result, config, 'exchange');
    });
  }

  /**
   * Refreshes the tokens. A returned ID token is validated, and with `options.idToken` it must
   * be about the same subject and issuer. Rejects with `TokenRefreshError`.
   *
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
   */
  async refreshTokens(
    refreshToken: string,
    options: { signal?: AbortSignal; idToken?: string } = {},
  ): Promise<OAuthTokenSet> {
    if (typeof refreshToken !== 'string' || refreshToken.length === 0) {
      throw new TokenRefreshError('There is no refresh token: the user must sign in again.', {
        provider: this.name,
        code: ErrorCodes.REAUTH_REQUIRED,
      });
    }
    return this.run('refresh', options.signal, async (config) => {
      const result = await client.refreshTokenGrant(config, refreshToken);
      const tokens = this.#accept(result, config, 'refresh');
      const claims = result.claims();
      if (claims && options.idToken !== undefined && changedSubject(claims, options.idToken)) {
        throw this.invalidIdToken('the refreshed ID token is about another subject or issuer');
      }
      return tokens;
    });
  }

  /**
   * Fetches the user's claims; for OIDC the `sub` must equal the ID token's.
   *
   * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
   */
  async getUserInfo(
    tokens: OAuthTokenSet,
    options: { signal?: AbortSignal } = {},
  ): Promise<UserInfo> {
    this.requireAccessToken(tokens);
    return this.run('userinfo', options.signal, (config) =>
      fetchUserClaims(config, tokens, this.isOidc, this.name),
    );
  }

  /**
   * Revokes a token at the RFC 7009 endpoint; `false` when the provider has none.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7009
   */
  async revokeToken(
    token: string,
    tokenTypeHint?: 'access_token' | 'refresh_token',
  ): Promise<boolean> {
    return this.run('revoke', undefined, (config) =>
      revokeAtEndpoint(config, token, tokenTypeHint),
    );
  }

  /**
   * The RP-initiated logout URL, or `undefined` when the provider has no end-session endpoint.
   *
   * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html
   */
  async buildEndSessionUrl(params: EndSessionParams): Promise<URL | undefined> {
    return this.run('authorize', undefined, async (config) => endSessionUrl(config, params));
  }

  /** The provider's metadata, discovered (or configured) once and kept. */
  async serverMetadata(): Promise<client.ServerMetadata> {
    return this.run('authorize', undefined, async (config) => config.serverMetadata());
  }

  /** Whether the provider has a device authorization endpoint. */
  async supportsDeviceFlow(): Promise<boolean> {
    return this.run(
      'device',
      undefined,
      async (config) => config.serverMetadata().device_authorization_endpoint !== undefined,
    );
  }

  /**
   * Starts a device authorization; `poll()` waits for the user, honouring `slow_down`, and
   * ends with `AuthFlowTimeout` once the device code has expired.
   *
   * @see https://www.rfc-editor.org/rfc/rfc8628
   */
  async startDeviceAuthorization(
    options: { signal?: AbortSignal } = {},
  ): Promise<DeviceAuthorization> {
    return this.run('device', options.signal, async (config) => {
      const response = await requestDeviceCode(config, this.scopes, this.name);
      return describeDeviceCode(response, this.name, (signal) =>
        this.#pollDevice(response, signal),
      );
    });
  }

  #pollDevice(
    response: client.DeviceAuthorizationResponse,
    signal: AbortSignal | undefined,
  ): Promise<OAuthTokenSet> {
    const expiry = AbortSignal.timeout(response.expires_in * 1000);
    const polling = signal ? AbortSignal.any([signal, expiry]) : expiry;
    return this.run(
      'poll',
      signal,
      async (config) =>
        this.#accept(await pollDeviceCode(config, response, polling), config, 'poll'),
      { deviceExpiresIn: response.expires_in, deviceExpiry: expiry },
    );
  }

  /** A token response converted, and its ID token (if any) held to authflow's own rules. */
  #accept(
    result: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
    config: client.Configuration,
    grant: IdTokenGrant,
  ): OAuthTokenSet {
    const tokens = toTokenSet(result as unknown as Record<string, unknown>, {
      provider: this.name,
      commaSeparatedScope: this.commaSeparatedScope,
    });
    const claims = result.claims();
    if (claims) this.checkIdTokenClaims(claims, config, grant);
    return tokens;
  }

  /**
   * Checks on a validated ID token beyond openid-client's (see `id-token.ts`). Subclasses
   * add provider rules (Microsoft's tenant).
   */
  protected checkIdTokenClaims(
    claims: client.IDToken,
    _config: client.Configuration,
    operation: IdTokenGrant,
  ): void {
    const problem = idTokenAgeProblem(claims, this.clockTolerance, operation);
    if (problem !== undefined) throw this.invalidIdToken(problem);
  }

  /** The error for an ID token that failed one of authflow's own checks. */
  protected invalidIdToken(reason: string): AuthenticationError {
    return invalidIdToken(this.name, reason);
  }

  /** Refuses, before any request, to fetch a user profile without an access token. */
  protected requireAccessToken(tokens: OAuthTokenSet): void {
    requireAccessToken(tokens, this.name);
  }

  /** GET a JSON object from a protected resource (see `fetchJsonResource`). */
  protected fetchJson(
    config: client.Configuration,
    accessToken: string,
    url: URL,
    headers: Record<string, string>,
    what: string,
  ): Promise<Record<string, unknown>> {
    return fetchJsonResource(config, accessToken, url, headers, what, this.name);
  }
}
