/**
 * The options every provider takes, and their checks. A bad option fails the constructor
 * with a {@link ConfigurationError} naming the setting, before any request is made.
 *
 * @module
 */
import { ConfigurationError } from '../errors.js';
import type { FetchLike, ResponseHook } from './http.js';

/**
 * How the client authenticates at the token endpoint.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
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
   *
   * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
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

/** {@link BaseProviderOptions} checked, with the defaults and the provider's traits applied. */
export interface ResolvedProviderOptions {
  name: string;
  clientId: string;
  clientSecret: string | undefined;
  scopes: readonly string[];
  isOidc: boolean;
  authMethod: TokenEndpointAuthMethod | undefined;
  timeoutSeconds: number;
  clockTolerance: number;
  maxAge: number | undefined;
  authorizeParams: Record<string, string>;
}

/**
 * Authorization request parameters authflow sets itself; options cannot override them.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
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

/**
 * Checks a provider's options.
 *
 * @throws {ConfigurationError} naming the setting that is missing or invalid.
 */
export function resolveProviderOptions(
  options: BaseProviderOptions,
  traits: ProviderTraits,
): ResolvedProviderOptions {
  const name = traits.name;
  if (typeof options?.clientId !== 'string' || options.clientId.trim() === '') {
    throw new ConfigurationError(
      `${name}: clientId is required (the client id registered at the provider).`,
    );
  }
  const scopes = Object.freeze([...(options.scopes ?? traits.defaultScopes)]);
  if (scopes.some((scope) => scope.length === 0 || /\s/.test(scope))) {
    throw new ConfigurationError(`${name}: scopes must be non-empty words without spaces.`);
  }
  const timeoutSeconds = positive(options.timeoutSeconds ?? 30, 'timeoutSeconds', name);
  const clockTolerance = nonNegative(options.clockTolerance ?? 30, 'clockTolerance', name);
  const maxAge =
    options.maxAge === undefined ? undefined : nonNegative(options.maxAge, 'maxAge', name);
  const clientSecret = options.clientSecret === '' ? undefined : options.clientSecret;
  const authMethod = options.tokenEndpointAuthMethod ?? traits.defaultAuthMethod;
  if (
    (authMethod === 'client_secret_basic' || authMethod === 'client_secret_post') &&
    clientSecret === undefined
  ) {
    throw new ConfigurationError(
      `${name}: tokenEndpointAuthMethod '${authMethod}' needs clientSecret.`,
    );
  }
  const authorizeParams = { ...traits.authorizeParams, ...options.extraAuthorizeParams };
  checkExtraParams(authorizeParams, 'extraAuthorizeParams');
  return {
    name,
    clientId: options.clientId,
    clientSecret,
    scopes,
    isOidc: traits.oidc === 'auto' ? scopes.includes('openid') : traits.oidc,
    authMethod,
    timeoutSeconds,
    clockTolerance,
    maxAge,
    authorizeParams,
  };
}

/**
 * Refuses extra authorization parameters that would override a protocol parameter.
 *
 * @throws {ConfigurationError} when one does, or is not a string.
 */
export function checkExtraParams(params: Record<string, string>, setting: string): void {
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
