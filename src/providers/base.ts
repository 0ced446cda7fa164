/**
 * What every provider shares: one lazily built openid-client `Configuration`, and the
 * {@link OAuthProvider} operations on top of it, each mapped to authflow's errors.
 * Subclasses say how the Configuration is made (discovery or explicit metadata) and add
 * their provider's quirks.
 *
 * @module
 */
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import {
  AuthenticationError,
  AuthFlowCancelled,
  AuthFlowTimeout,
  ConfigurationError,
  ErrorCodes,
  TokenError,
  TokenRefreshError,
} from '../errors.js';
import { nowSeconds, type OAuthTokenSet } from '../tokens/token-set.js';
import { type ProviderOperation, toAuthflowError } from './error-mapping.js';
import {
  abortable,
  createProviderFetch,
  type FetchLike,
  type ResponseHook,
  runDetached,
  runProviderCall,
} from './http.js';
import { toTokenSet } from './token-response.js';
import type {
  AuthorizeUrlParams,
  DeviceAuthorization,
  ExchangeCodeParams,
  OAuthProvider,
  UserInfo,
} from './types.js';
import { isAllowedUrl } from './url.js';

/** How the client authenticates at the token endpoint. */
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** Options every provider takes. */
export interface BaseProviderOptions {
  /** The client id registered at the provider. */
  clientId: string;
  /**
   * The client secret. Omit it for a public client (a desktop app registered without one):
   * the client then authenticates with its id only and relies on PKCE.
   */
  clientSecret?: string;
  /** Scopes to request. Each provider has its own default. */
  scopes?: readonly string[];
  /**
   * Client authentication at the token endpoint when a secret is set. Default: HTTP Basic
   * (`client_secret_basic`), or `client_secret_post` when the provider advertises only that.
   */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  /** Deadline of each request to the provider, body included, in seconds. Default `30`. */
  timeoutSeconds?: number;
  /** Clock skew tolerated when checking token times (`exp`, `iat`, `nbf`, `auth_time`), in seconds. Default `30`. */
  clockTolerance?: number;
  /**
   * Extra parameters added to every authorization request (e.g. `{ prompt: 'select_account' }`).
   * Protocol parameters (`state`, `nonce`, `redirect_uri`, `scope`, PKCE...) cannot be set here.
   */
  extraAuthorizeParams?: Record<string, string>;
  /**
   * Maximum authentication age in seconds (OIDC `max_age`). When set, it is sent with every
   * authorization request and the ID token's `auth_time` is checked against it.
   */
  maxAge?: number;
  /**
   * The fetch used for every request to the provider (default `globalThis.fetch`): for a
   * proxy, instrumentation, or tests that play the provider on loopback. authflow's guards
   * (https only, deadlines, size limits) apply on top of it.
   */
  fetch?: FetchLike;
}

/** What a subclass fixes about itself. */
export interface ProviderTraits {
  /** Provider name, e.g. `google`. */
  name: string;
  /** Scopes when the options give none. */
  defaultScopes: readonly string[];
  /** `true` for OpenID Connect; `'auto'`: whether the scopes include `openid`. */
  oidc: boolean | 'auto';
  /** Authorization parameters the provider always adds (overridable by the options). */
  authorizeParams?: Record<string, string>;
  /** Rewrites responses, e.g. GitHub's HTTP 200 errors. */
  onResponse?: ResponseHook;
  /** Default token endpoint authentication. */
  defaultAuthMethod?: TokenEndpointAuthMethod;
}

/**
 * Oldest acceptable `iat` of an ID token from the token endpoint, in seconds: it was just
 * minted, so an old one is a replay.
 */
export const MAX_ID_TOKEN_AGE_SECONDS = 600;

const PROTECTED_PARAMS = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'request',
  'request_uri',
  'response_mode',
  'max_age',
]);

/** Base class of the built-in providers. Not meant to be subclassed outside authflow. */
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
  readonly #clientSecret: string | undefined;
  readonly #authMethod: TokenEndpointAuthMethod | undefined;
  readonly #authorizeParams: Record<string, string>;
  #configuration: Promise<client.Configuration> | undefined;

  constructor(options: BaseProviderOptions, traits: ProviderTraits) {
    if (typeof options?.clientId !== 'string' || options.clientId.trim() === '') {
      throw new ConfigurationError(
        `${traits.name}: clientId is required (the client id registered at the provider).`,
      );
    }
    this.name = traits.name;
    this.clientId = options.clientId;
    this.scopes = Object.freeze([...(options.scopes ?? traits.defaultScopes)]);
    if (this.scopes.some((scope) => scope.length === 0 || /\s/.test(scope))) {
      throw new ConfigurationError(
        `${traits.name}: scopes must be non-empty words without spaces.`,
      );
    }
    this.isOidc = traits.oidc === 'auto' ? this.scopes.includes('openid') : traits.oidc;
    this.timeoutSeconds = positive(options.timeoutSeconds ?? 30, 'timeoutSeconds', traits.name);
    this.clockTolerance = nonNegative(options.clockTolerance ?? 30, 'clockTolerance', traits.name);
    this.maxAge =
      options.maxAge === undefined ? undefined : nonNegative(options.maxAge, 'maxAge', traits.name);
    this.#clientSecret = options.clientSecret === '' ? undefined : options.clientSecret;
    this.#authMethod = options.tokenEndpointAuthMethod ?? traits.defaultAuthMethod;
    if (
      (this.#authMethod === 'client_secret_basic' || this.#authMethod === 'client_secret_post') &&
      this.#clientSecret === undefined
    ) {
      throw new ConfigurationError(
        `${traits.name}: tokenEndpointAuthMethod '${this.#authMethod}' needs clientSecret.`,
      );
    }
    this.#authorizeParams = { ...traits.authorizeParams, ...options.extraAuthorizeParams };
    checkExtraParams(this.#authorizeParams, 'extraAuthorizeParams');
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
    const secret = this.#clientSecret;
    if (secret === undefined || this.#authMethod === 'none') return client.None();
    if (this.#authMethod === 'client_secret_post') return client.ClientSecretPost(secret);
    if (this.#authMethod === 'client_secret_basic') return client.ClientSecretBasic(secret);
    const basic = client.ClientSecretBasic(secret);
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
   * out as an authflow error.
   */
  protected run<T>(
    operation: ProviderOperation,
    signal: AbortSignal | undefined,
    fn: (config: client.Configuration) => Promise<T>,
  ): Promise<T> {
    return runProviderCall(signal, async (call) => {
      const context = { provider: this.name, timeoutSeconds: this.timeoutSeconds, signal };
      let config: client.Configuration;
      try {
        config = await abortable(this.configuration(), signal);
      } catch (error) {
        throw asOperationError(toAuthflowError(error, 'discovery', context), operation);
      }
      try {
        return await fn(config);
      } catch (error) {
        const mapped = toAuthflowError(error, operation, {
          ...context,
          reauthErrors: this.reauthErrors,
          tokenRequestSent: call.tokenRequestSent,
        });
        throw asOperationError(mapped, operation);
      }
    });
  }

  /** Builds the authorization URL (`response_type=code`, S256 PKCE when a challenge is given). */
  async buildAuthorizeUrl(params: AuthorizeUrlParams): Promise<URL> {
    checkExtraParams(params.extraParams ?? {}, 'extraParams');
    return this.run('authorize', undefined, async (config) => {
      const query: Record<string, string> = {
        ...this.#authorizeParams,
        ...params.extraParams,
        response_type: 'code',
        redirect_uri: params.redirectUri,
        scope: this.scopes.join(' '),
        state: params.state,
      };
      if (this.isOidc && params.nonce !== undefined) query.nonce = params.nonce;
      if (params.codeChallenge !== undefined) {
        query.code_challenge = params.codeChallenge;
        query.code_challenge_method = 'S256';
      }
      if (this.maxAge !== undefined) query.max_age = String(this.maxAge);
      const url = client.buildAuthorizationUrl(config, query);
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
   */
  async exchangeCode(params: ExchangeCodeParams): Promise<OAuthTokenSet> {
    const callback = callbackFor(params.redirectUri, params.callbackUrl, this.name);
    for (const injected of ['access_token', 'refresh_token']) {
      // openid-client refuses `id_token` and `token`; tokens have no business in a code
      // flow callback at all.
      if (callback.searchParams.has(injected)) {
        throw new AuthenticationError(
          `The authorization response carries "${injected}", which a code flow never does. Nothing was stored; start a new sign-in.`,
          { provider: this.name, code: ErrorCodes.VALIDATION_FAILED },
        );
      }
    }
    return this.run('exchange', params.signal, async (config) => {
      const result = await client.authorizationCodeGrant(config, callback, {
        expectedState: params.expectedState,
        expectedNonce: this.isOidc ? params.expectedNonce : undefined,
        pkceCodeVerifier: params.codeVerifier,
        idTokenExpected: this.isOidc,
        maxAge: this.isOidc ? this.maxAge : undefined,
      });
      const tokens = this.tokenSet(result, 'exchange');
      const claims = result.claims();
      if (claims) this.checkIdTokenClaims(claims, config, 'exchange');
      return tokens;
    });
  }

  /**
   * Refreshes the tokens. A returned ID token is validated, and with `options.idToken` it must
   * be about the same subject and issuer. Rejects with `TokenRefreshError`.
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
      const tokens = this.tokenSet(result, 'refresh');
      const claims = result.claims();
      if (claims) {
        this.checkIdTokenClaims(claims, config, 'refresh');
        if (options.idToken !== undefined) this.#checkSameSubject(claims, options.idToken);
      }
      return tokens;
    });
  }

  /** Fetches the user's claims; for OIDC the `sub` must equal the ID token's. */
  async getUserInfo(
    tokens: OAuthTokenSet,
    options: { signal?: AbortSignal } = {},
  ): Promise<UserInfo> {
    this.requireAccessToken(tokens);
    return this.run('userinfo', options.signal, async (config) => {
      const endpoint = config.serverMetadata().userinfo_endpoint;
      if (!this.isOidc) {
        if (endpoint === undefined) return {};
        return this.fetchJson(config, tokens.accessToken, new URL(endpoint), {}, 'userinfo');
      }
      const subject =
        tokens.idToken === undefined ? undefined : subjectOf(tokens.idToken, this.name);
      if (endpoint === undefined) {
        // No userinfo endpoint: the validated ID token is all the provider says.
        if (tokens.idToken !== undefined) return { ...decodeJwt(tokens.idToken) };
        throw new ConfigurationError(
          `${this.name}: the provider has no userinfo endpoint. Set the userinfoUrl option.`,
          { provider: this.name },
        );
      }
      // Without an ID token (none came with a refresh) the sub cannot be compared, but
      // openid-client still requires it to be a non-empty string.
      const claims = await client.fetchUserInfo(
        config,
        tokens.accessToken,
        subject ?? client.skipSubjectCheck,
      );
      return { ...claims };
    });
  }

  /** Revokes a token at the RFC 7009 endpoint; `false` when the provider has none. */
  async revokeToken(
    token: string,
    tokenTypeHint?: 'access_token' | 'refresh_token',
  ): Promise<boolean> {
    return this.run('revoke', undefined, async (config) => {
      if (config.serverMetadata().revocation_endpoint === undefined) return false;
      await client.tokenRevocation(
        config,
        token,
        tokenTypeHint ? { token_type_hint: tokenTypeHint } : undefined,
      );
      return true;
    });
  }

  /** The RP-initiated logout URL, or `undefined` when the provider has no end-session endpoint. */
  async buildEndSessionUrl(params: {
    idTokenHint?: string;
    postLogoutRedirectUri?: string;
    state?: string;
  }): Promise<URL | undefined> {
    return this.run('authorize', undefined, async (config) => {
      if (config.serverMetadata().end_session_endpoint === undefined) return undefined;
      const query: Record<string, string> = {};
      if (params.idTokenHint !== undefined) query.id_token_hint = params.idTokenHint;
      if (params.postLogoutRedirectUri !== undefined) {
        query.post_logout_redirect_uri = params.postLogoutRedirectUri;
      }
      if (params.state !== undefined) query.state = params.state;
      const url = client.buildEndSessionUrl(config, query);
      return isAllowedUrl(url) ? url : undefined;
    });
  }

  /** Whether the provider has a device authorization endpoint. */
  async supportsDeviceFlow(): Promise<boolean> {
    return this.run(
      'device',
      undefined,
      async (config) => config.serverMetadata().device_authorization_endpoint !== undefined,
    );
  }

  /** Starts a device authorization (RFC 8628); `poll()` waits for the user, honouring `slow_down`. */
  async startDeviceAuthorization(
    options: { signal?: AbortSignal } = {},
  ): Promise<DeviceAuthorization> {
    return this.run('device', options.signal, async (config) => {
      if (config.serverMetadata().device_authorization_endpoint === undefined) {
        throw new ConfigurationError(
          `${this.name}: the provider does not support the device authorization grant.`,
          { provider: this.name },
        );
      }
      const response = await client.initiateDeviceAuthorization(config, {
        scope: this.scopes.join(' '),
      });
      const verificationUri = displayableUrl(response.verification_uri);
      if (verificationUri === undefined) {
        throw new AuthenticationError(
          `${this.name}: the provider's device verification URI is not an https:// URL.`,
          { provider: this.name, code: ErrorCodes.VALIDATION_FAILED },
        );
      }
      const complete =
        response.verification_uri_complete === undefined
          ? undefined
          : displayableUrl(response.verification_uri_complete);
      return {
        userCode: response.user_code,
        verificationUri,
        ...(complete === undefined ? {} : { verificationUriComplete: complete }),
        expiresIn: response.expires_in,
        interval: response.interval ?? 5,
        poll: (signal?: AbortSignal) => this.#pollDevice(response, signal),
      };
    });
  }

  async #pollDevice(
    response: client.DeviceAuthorizationResponse,
    signal: AbortSignal | undefined,
  ): Promise<OAuthTokenSet> {
    const expiry = AbortSignal.timeout(response.expires_in * 1000);
    const polling = signal ? AbortSignal.any([signal, expiry]) : expiry;
    try {
      return await this.run('poll', signal, async (config) => {
        // openid-client checks the signal only between its waits (up to 5 s): answer an abort at once.
        const result = await abortable(
          client.pollDeviceAuthorizationGrant(config, response, undefined, { signal: polling }),
          polling,
        );
        const tokens = this.tokenSet(result, 'poll');
        const claims = result.claims();
        if (claims) this.checkIdTokenClaims(claims, config, 'poll');
        return tokens;
      });
    } catch (error) {
      if (signal?.aborted) {
        throw new AuthFlowCancelled('The device sign-in was cancelled.', {
          provider: this.name,
          cause: error,
        });
      }
      if (expiry.aborted) {
        throw new AuthFlowTimeout(response.expires_in, { provider: this.name, cause: error });
      }
      if (error instanceof AuthenticationError && error.providerError === 'expired_token') {
        throw new AuthFlowTimeout(response.expires_in, { provider: this.name, cause: error });
      }
      throw error;
    }
  }

  /** Converts a token response; a malformed one fails the operation as a whole. */
  protected tokenSet(
    response: client.TokenEndpointResponse,
    operation: 'exchange' | 'refresh' | 'poll',
  ): OAuthTokenSet {
    try {
      return toTokenSet(response as unknown as Record<string, unknown>, {
        provider: this.name,
        commaSeparatedScope: this.commaSeparatedScope,
      });
    } catch (error) {
      if (operation === 'refresh' || !(error instanceof TokenError)) throw error;
      throw new AuthenticationError(error.message, {
        provider: this.name,
        code: ErrorCodes.EXCHANGE_FAILED,
        cause: error,
      });
    }
  }

  /**
   * Checks on a validated ID token beyond openid-client's: `iat` not in the future, and not
   * older than {@link MAX_ID_TOKEN_AGE_SECONDS} for a freshly minted one. Subclasses add
   * provider rules (Microsoft's tenant).
   */
  protected checkIdTokenClaims(
    claims: client.IDToken,
    _config: client.Configuration,
    operation: 'exchange' | 'refresh' | 'poll',
  ): void {
    const now = nowSeconds();
    if (claims.iat > now + this.clockTolerance) {
      throw this.invalidIdToken('its "iat" (issued at) is in the future');
    }
    if (
      operation !== 'refresh' &&
      claims.iat < now - MAX_ID_TOKEN_AGE_SECONDS - this.clockTolerance
    ) {
      throw this.invalidIdToken('its "iat" (issued at) is too old');
    }
  }

  /** The error for an ID token that failed one of authflow's own checks. */
  protected invalidIdToken(reason: string): AuthenticationError {
    return new AuthenticationError(
      `The ID token from the provider failed validation: ${reason}. Nothing was stored; start a new sign-in.`,
      { provider: this.name, code: ErrorCodes.VALIDATION_FAILED },
    );
  }

  /** OIDC Core §12.2: a refreshed ID token is about the same user, from the same issuer. */
  #checkSameSubject(claims: client.IDToken, previousIdToken: string): void {
    let previous: ReturnType<typeof decodeJwt>;
    try {
      previous = decodeJwt(previousIdToken);
    } catch {
      return; // Nothing trustworthy to compare with; the new token itself was validated.
    }
    if (previous.sub !== claims.sub || previous.iss !== claims.iss) {
      throw this.invalidIdToken('the refreshed ID token is about another subject or issuer');
    }
  }

  /** Refuses, before any request, to fetch a user profile without an access token. */
  protected requireAccessToken(tokens: OAuthTokenSet): void {
    if (typeof tokens?.accessToken !== 'string' || tokens.accessToken.length === 0) {
      throw new TokenError('There is no access token to fetch the user profile with.', {
        provider: this.name,
      });
    }
  }

  /**
   * GET a JSON object from a protected resource with the access token in the Authorization
   * header (never in the URL).
   */
  protected async fetchJson(
    config: client.Configuration,
    accessToken: string,
    url: URL,
    headers: Record<string, string>,
    what: string,
  ): Promise<Record<string, unknown>> {
    const response = await client.fetchProtectedResource(
      config,
      accessToken,
      url,
      'GET',
      undefined,
      new Headers({ accept: 'application/json', ...headers }),
    );
    if (response.status === 401 || response.status === 403) {
      throw new TokenError(
        `The provider rejected the access token at its ${what} endpoint (HTTP ${response.status}). Refresh the tokens or sign in again.`,
        { provider: this.name },
      );
    }
    if (response.status !== 200) {
      throw new AuthenticationError(
        `The provider's ${what} endpoint answered HTTP ${response.status}. Try again later.`,
        { provider: this.name, code: ErrorCodes.PROVIDER_UNAVAILABLE },
      );
    }
    const json = await response.json().catch(() => undefined);
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new AuthenticationError(
        `The provider's ${what} endpoint did not answer with a JSON object.`,
        { provider: this.name, code: ErrorCodes.PROVIDER_UNAVAILABLE },
      );
    }
    return json as Record<string, unknown>;
  }
}

/** The callback URL openid-client sees: the registered redirect URI plus the response's query. */
function callbackFor(redirectUri: string, callbackUrl: URL, provider: string): URL {
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
  url.search = callbackUrl.search;
  return url;
}

function subjectOf(idToken: string, provider: string): string {
  let sub: unknown;
  try {
    sub = decodeJwt(idToken).sub;
  } catch {
    sub = undefined;
  }
  if (typeof sub !== 'string' || sub.length === 0) {
    throw new TokenError('The stored ID token is malformed (no "sub"). Sign in again.', {
      provider,
    });
  }
  return sub;
}

function displayableUrl(value: string): string | undefined {
  const url = URL.parse(value);
  return url !== null && isAllowedUrl(url) ? value : undefined;
}

function checkExtraParams(params: Record<string, string>, setting: string): void {
  for (const [key, value] of Object.entries(params)) {
    if (PROTECTED_PARAMS.has(key)) {
      throw new ConfigurationError(
        `${setting} cannot set "${key}": authflow sets it itself${key === 'max_age' ? ' (use the maxAge option)' : ''}.`,
      );
    }
    if (typeof value !== 'string') {
      throw new ConfigurationError(`${setting}.${key} must be a string.`);
    }
  }
}

/** Refresh failures are TokenRefreshError whatever went wrong (cancellation excepted). */
function asOperationError(
  error: AuthenticationError,
  operation: ProviderOperation,
): AuthenticationError {
  if (operation !== 'refresh') return error;
  if (error instanceof TokenRefreshError || error instanceof AuthFlowCancelled) return error;
  return new TokenRefreshError(error.message, {
    provider: error.provider,
    providerError: error.providerError,
    providerErrorDescription: error.providerErrorDescription,
    code: ErrorCodes.REFRESH_FAILED,
    cause: error,
  });
}

function positive(value: number, name: string, provider: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(`${provider}: ${name} must be a positive number of seconds.`);
  }
  return value;
}

function nonNegative(value: number, name: string, provider: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(`${provider}: ${name} must be a non-negative number of seconds.`);
  }
  return value;
}
