/**
 * What authflow tells the user when a provider operation fails: for each operation and each
 * recognised cause (see `recognize-error.ts`), the error class, its stable code and a message
 * that says what to do. This is the one place provider failures are wrapped: refresh
 * failures become `TokenRefreshError`, an expired device code `AuthFlowTimeout`.
 *
 * Messages are fixed text plus, at most, the provider's `error` / `error_description`
 * (sanitised and truncated): never tokens, codes or response bodies. The `cause` attached is
 * a summary too, because openid-client's own errors carry whole response bodies.
 *
 * @module
 */
import {
  AuthenticationError,
  type AuthenticationErrorOptions,
  AuthFlowCancelled,
  AuthFlowTimeout,
  ConfigurationError,
  type ErrorCode,
  ErrorCodes,
  TokenError,
  TokenRefreshError,
} from '../errors.js';
import {
  type ProviderFailure,
  recognizeProviderError,
  summarizeProviderError,
} from './recognize-error.js';

/** The provider operation that failed; it decides the error class and code. */
export type ProviderOperation =
  | 'discovery'
  | 'authorize'
  | 'exchange'
  | 'refresh'
  | 'userinfo'
  | 'revoke'
  | 'device'
  | 'poll';

/** What the policy needs to know besides the error. */
export interface ErrorContext {
  /** Provider name for `error.provider`. */
  provider: string;
  /** Request timeout, for the message. */
  timeoutSeconds: number;
  /** The failure happened while loading the provider's metadata, before the operation ran. */
  discovering?: boolean;
  /** Token endpoint `error` values meaning "sign in again" on refresh. Default `['invalid_grant']`. */
  reauthErrors?: readonly string[];
  /** Set once a token request went out (tells a bad callback from a bad token response). */
  tokenRequestSent?: boolean;
  /** Seconds the device code was valid (`expires_in`), for {@link AuthFlowTimeout}. */
  deviceExpiresIn?: number;
  /** Aborted once the device code has expired. */
  deviceExpiry?: AbortSignal;
  /** The caller's signal: once aborted, any failure is a cancellation. */
  signal?: AbortSignal;
}

/**
 * Maps any error from a provider operation to the authflow error the caller sees.
 *
 * @example
 * try {
 *   return await client.refreshTokenGrant(config, refreshToken);
 * } catch (error) {
 *   throw toAuthflowError(error, 'refresh', { provider: 'google', timeoutSeconds: 30 });
 * }
 */
export function toAuthflowError(
  error: unknown,
  operation: ProviderOperation,
  context: ErrorContext,
): AuthenticationError {
  const mapped =
    error instanceof AuthenticationError
      ? ownError(error, operation)
      : fromFailure(error, context.discovering ? 'discovery' : operation, context);
  return settle(mapped, operation, context);
}

/** authflow's own errors pass through; a malformed token response fails the exchange. */
function ownError(error: AuthenticationError, operation: ProviderOperation): AuthenticationError {
  if ((operation === 'exchange' || operation === 'poll') && isPlainTokenError(error)) {
    return new AuthenticationError(error.message, {
      provider: error.provider,
      code: ErrorCodes.EXCHANGE_FAILED,
      cause: error,
    });
  }
  return error;
}

function isPlainTokenError(error: AuthenticationError): boolean {
  return error instanceof TokenError && error.code === ErrorCodes.TOKEN_ERROR;
}

/** The operation's last word: refresh always fails as a refresh, polling ends on expiry. */
function settle(
  error: AuthenticationError,
  operation: ProviderOperation,
  context: ErrorContext,
): AuthenticationError {
  if (operation === 'refresh') {
    if (error instanceof TokenRefreshError || error instanceof AuthFlowCancelled) return error;
    return new TokenRefreshError(error.message, {
      provider: error.provider,
      providerError: error.providerError,
      providerErrorDescription: error.providerErrorDescription,
      code: ErrorCodes.REFRESH_FAILED,
      cause: error,
    });
  }
  if (operation === 'poll') {
    const base = { provider: context.provider, cause: error };
    if (context.signal?.aborted) {
      return new AuthFlowCancelled('The device sign-in was cancelled.', base);
    }
    if (context.deviceExpiry?.aborted || error.providerError === 'expired_token') {
      return new AuthFlowTimeout(context.deviceExpiresIn ?? 0, base);
    }
  }
  return error;
}

type Base = Pick<AuthenticationErrorOptions, 'provider' | 'cause'>;

function fromFailure(
  error: unknown,
  operation: ProviderOperation,
  context: ErrorContext,
): AuthenticationError {
  const found = recognizeProviderError(error);
  const base: Base = { provider: context.provider, cause: summarizeProviderError(error, found) };
  const said = providerSaid(found);

  if (found.kind === 'aborted' || context.signal?.aborted) {
    return new AuthFlowCancelled('The request to the provider was cancelled.', base);
  }
  if (found.kind === 'insecure_url') {
    return new ConfigurationError(
      `The provider's metadata points to a plain http:// URL on a non-loopback host. Use an https:// issuer; plain http is accepted only on loopback for development.`,
      base,
    );
  }
  if (operation === 'refresh') return refreshFailure(found, context, base);
  if (operation === 'poll' && found.kind === 'oauth_error') {
    return new AuthenticationError(
      `The provider ended the device sign-in${said}. Start a new sign-in.`,
      { ...base, ...providerFields(found), code: ErrorCodes.PROVIDER_ERROR },
    );
  }

  switch (found.kind) {
    case 'timeout':
    case 'network':
    case 'too_large':
    case 'not_json':
      return new AuthenticationError(capitalize(explain(found, context, endpointOf(operation))), {
        ...base,
        code:
          operation === 'discovery' && found.kind !== 'timeout' && found.kind !== 'network'
            ? ErrorCodes.DISCOVERY_FAILED
            : ErrorCodes.PROVIDER_UNAVAILABLE,
      });
    case 'authorization_error':
      return new AuthenticationError(
        `The provider answered the sign-in with an error${said}. Try again, or check the app's registration at the provider.`,
        { ...base, ...providerFields(found), code: ErrorCodes.PROVIDER_ERROR },
      );
    default:
      break;
  }

  switch (operation) {
    case 'discovery':
      return new AuthenticationError(explainDiscovery(found), {
        ...base,
        code: ErrorCodes.DISCOVERY_FAILED,
      });
    case 'exchange':
      return exchangeFailure(found, context, base);
    case 'userinfo':
      return userinfoFailure(found, context, base);
    case 'revoke':
      return new AuthenticationError(
        `Revoking the token failed: ${explain(found, context, 'revocation')}`,
        { ...base, ...providerFields(found), code: refusedOrUnavailable(found) },
      );
    case 'device':
    case 'poll':
      if (found.kind === 'validation') return validationError(found, context, base);
      return new AuthenticationError(
        `The device sign-in failed: ${explain(found, context, 'device authorization')}`,
        { ...base, ...providerFields(found), code: refusedOrUnavailable(found) },
      );
    default:
      if (found.kind === 'metadata') {
        return new ConfigurationError(
          `The provider's metadata lacks what this needs (${found.detail ?? 'an endpoint'}). Configure the URL explicitly.`,
          base,
        );
      }
      return new AuthenticationError(
        `The request to the provider failed: ${explain(found, context, 'provider')}`,
        { ...base, code: ErrorCodes.AUTHENTICATION_FAILED },
      );
  }
}

/**
 * `reauth_required` only when the refresh token itself was refused: the configured `error`
 * values, or a bare 400 (RFC 6749 §5.2 answers a bad grant with 400; some servers, authlib-based
 * or Glewlwyd, send it without a JSON body; the request was well formed, so retrying would
 * fail the same way forever).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
function refreshFailure(
  found: ProviderFailure,
  context: ErrorContext,
  base: Base,
): TokenRefreshError {
  const reauth = context.reauthErrors ?? ['invalid_grant'];
  if (found.kind === 'oauth_error' && found.oauthError && reauth.includes(found.oauthError)) {
    return new TokenRefreshError(
      `The provider rejected the refresh token${providerSaid(found)}. The user must sign in again.`,
      { ...base, ...providerFields(found), code: ErrorCodes.REAUTH_REQUIRED },
    );
  }
  if (found.kind === 'http_status' && found.status === 400) {
    return new TokenRefreshError(
      'The provider rejected the refresh token (HTTP 400 without an error body). The user must sign in again.',
      { ...base, code: ErrorCodes.REAUTH_REQUIRED },
    );
  }
  return new TokenRefreshError(
    `Refreshing the tokens failed: ${explain(found, context, 'token')}`,
    {
      ...base,
      ...providerFields(found),
      code: ErrorCodes.REFRESH_FAILED,
    },
  );
}

function exchangeFailure(
  found: ProviderFailure,
  context: ErrorContext,
  base: Base,
): AuthenticationError {
  // Before the token request, anything unrecognised is about the authorization response.
  if (found.kind === 'validation' || (found.kind === 'unknown' && !context.tokenRequestSent)) {
    return validationError(found, context, base);
  }
  return new AuthenticationError(
    `Exchanging the authorization code failed: ${explain(found, context, 'token')}`,
    {
      ...base,
      ...providerFields(found),
      code:
        found.kind === 'http_status' && (found.status ?? 0) >= 500
          ? ErrorCodes.PROVIDER_UNAVAILABLE
          : ErrorCodes.EXCHANGE_FAILED,
    },
  );
}

function userinfoFailure(
  found: ProviderFailure,
  context: ErrorContext,
  base: Base,
): AuthenticationError {
  if (found.kind === 'validation') return validationError(found, context, base);
  if (
    found.kind === 'oauth_error' ||
    (found.kind === 'http_status' && (found.status === 401 || found.status === 403))
  ) {
    return new TokenError(
      `The provider rejected the access token at its userinfo endpoint${providerSaid(found)}. Refresh the tokens or sign in again.`,
      { ...base, ...providerFields(found) },
    );
  }
  if (found.kind === 'metadata') {
    return new ConfigurationError(
      `The provider has no usable userinfo endpoint (${found.detail ?? 'missing'}). Set the userinfoUrl option.`,
      base,
    );
  }
  return new AuthenticationError(
    `Fetching the user's profile failed: ${explain(found, context, 'userinfo')}`,
    { ...base, code: ErrorCodes.PROVIDER_UNAVAILABLE },
  );
}

function validationError(
  found: ProviderFailure,
  context: ErrorContext,
  base: Base,
): AuthenticationError {
  const what = context.tokenRequestSent
    ? 'The tokens from the provider failed validation'
    : 'The authorization response failed validation';
  const detail = found.detail ? ` (${found.detail})` : '';
  return new AuthenticationError(
    `${what}${detail}. Nothing was stored; start a new sign-in. If it persists, check the provider's configuration (issuer, client id, clock).`,
    { ...base, code: ErrorCodes.VALIDATION_FAILED },
  );
}

/**
 * An OAuth error answer, or a 4xx status with any body, is the provider refusing the request:
 * trying again later would not change it. 408, 429, 5xx, network failures and timeouts are the
 * provider not being usable right now.
 */
function refusedOrUnavailable(found: ProviderFailure): ErrorCode {
  if (found.kind === 'oauth_error') return ErrorCodes.PROVIDER_ERROR;
  const status = found.status ?? 0;
  const refused =
    found.kind === 'http_status' &&
    status >= 400 &&
    status < 500 &&
    status !== 408 &&
    status !== 429;
  return refused ? ErrorCodes.PROVIDER_ERROR : ErrorCodes.PROVIDER_UNAVAILABLE;
}

function providerFields(found: ProviderFailure): AuthenticationErrorOptions {
  return {
    providerError: found.oauthError,
    providerErrorDescription: found.oauthErrorDescription,
  };
}

function providerSaid(found: ProviderFailure): string {
  if (!found.oauthError) return '';
  return found.oauthErrorDescription
    ? `: ${found.oauthError} (${found.oauthErrorDescription})`
    : `: ${found.oauthError}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function endpointOf(operation: ProviderOperation): string {
  switch (operation) {
    case 'discovery':
      return 'discovery';
    case 'userinfo':
      return 'userinfo';
    case 'revoke':
      return 'revocation';
    case 'device':
    case 'poll':
      return 'device authorization';
    default:
      return 'token';
  }
}

function explain(found: ProviderFailure, context: ErrorContext, endpoint: string): string {
  switch (found.kind) {
    case 'timeout':
      return `the provider's ${endpoint} endpoint did not answer within ${context.timeoutSeconds} seconds. Check the network, or raise timeoutSeconds.`;
    case 'network':
      return `the provider's ${endpoint} endpoint could not be reached. Check the network and the provider's URL.`;
    case 'too_large':
      return `the provider's ${endpoint} endpoint sent an oversized response.`;
    case 'not_json':
      return `the provider's ${endpoint} endpoint did not answer with a JSON object${found.status ? ` (HTTP ${found.status})` : ''}.`;
    case 'http_status':
      return `the provider's ${endpoint} endpoint answered HTTP ${found.status ?? 'error'}. Try again later; if it persists, check the app's registration.`;
    case 'oauth_error':
      return `the provider answered with an error${providerSaid(found)}.`;
    case 'token_response':
      return `the provider's token response is malformed (${found.detail ?? 'invalid'}).`;
    case 'validation':
      return `the provider's response failed validation (${found.detail ?? 'invalid'}).`;
    case 'metadata':
      return `the provider's metadata is incomplete (${found.detail ?? 'missing endpoint'}).`;
    default:
      return `an unexpected error occurred (${found.detail ?? 'unknown'}).`;
  }
}

function explainDiscovery(found: ProviderFailure): string {
  if (found.kind === 'issuer_mismatch') {
    const said = found.discoveredIssuer
      ? ` says its issuer is ${found.discoveredIssuer}`
      : ' names another issuer';
    return `Discovery failed: the provider's metadata${said}, which differs from the configured issuer URL. Set the issuer URL to exactly the provider's issuer identifier.`;
  }
  if (found.kind === 'http_status') {
    return `Discovery failed: the metadata endpoint answered HTTP ${found.status ?? 'error'}. Check the issuer URL (its /.well-known/openid-configuration must exist).`;
  }
  return `Discovery failed: the provider's metadata is invalid (${found.detail ?? 'unreadable'}). Check the issuer URL.`;
}
