/**
 * Turns whatever openid-client (and oauth4webapi under it) throws into authflow's typed
 * errors with stable codes. Messages are built here from fixed text plus, at most, the
 * provider's `error` / `error_description` (sanitised and truncated): never tokens, codes or
 * response bodies. The `cause` attached is a summary too, because openid-client's own errors
 * carry whole response bodies (tokens included) that would end up in logs.
 *
 * @module
 */
import * as client from 'openid-client';
import {
  AuthenticationError,
  AuthFlowCancelled,
  AuthFlowTimeout,
  ConfigurationError,
  type ErrorCode,
  ErrorCodes,
  TokenError,
  TokenRefreshError,
} from '../errors.js';
import { ProviderHttpError } from './http.js';

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

/** What the mapper needs to know besides the error. */
export interface ErrorContext {
  /** Provider name for `error.provider`. */
  provider: string;
  /** Request timeout, for the message. */
  timeoutSeconds: number;
  /** Token endpoint `error` values meaning "sign in again" on refresh. Default `['invalid_grant']`. */
  reauthErrors?: readonly string[];
  /** Set once a token request went out (tells a bad callback from a bad token response). */
  tokenRequestSent?: boolean;
  /** Seconds the device code was valid, for {@link AuthFlowTimeout}. */
  deviceExpiresIn?: number;
  /** The caller's signal: once aborted, any failure is a cancellation. */
  signal?: AbortSignal;
}

type Kind =
  | 'aborted'
  | 'timeout'
  | 'network'
  | 'insecure_url'
  | 'too_large'
  | 'http_status'
  | 'not_json'
  | 'oauth_error'
  | 'authorization_error'
  | 'token_response'
  | 'validation'
  | 'metadata'
  | 'issuer_mismatch'
  | 'unknown';

interface Classified {
  kind: Kind;
  /** oauth4webapi's fixed description of the failure (no values in it). */
  detail?: string;
  status?: number;
  oauthError?: string;
  oauthErrorDescription?: string;
  discoveredIssuer?: string;
}

const MAX_ERROR_LENGTH = 64;
const MAX_DESCRIPTION_LENGTH = 200;

/**
 * Keeps a provider-supplied `error` / `error_description` printable and short: RFC 6749
 * allows only %x20-21 / %x23-5B / %x5D-7E in them, so anything else (control characters,
 * quotes, backslashes, non-ASCII) is replaced.
 */
export function sanitizeProviderText(value: unknown, maxLength: number): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const cleaned = value.slice(0, maxLength * 2).replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?');
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength - 3)}...` : cleaned;
}

/** Maps any error from a provider operation to an authflow error. Authflow errors pass through. */
export function toAuthflowError(
  error: unknown,
  operation: ProviderOperation,
  context: ErrorContext,
): AuthenticationError {
  if (error instanceof AuthenticationError) return error;
  const found = classify(error);
  const cause = summarize(error, found);
  const base = { provider: context.provider, cause };
  const providerErrorFields = {
    providerError: found.oauthError,
    providerErrorDescription: found.oauthErrorDescription,
  };
  const said = describeProviderError(found);

  if (found.kind === 'aborted' || context.signal?.aborted) {
    return new AuthFlowCancelled('The request to the provider was cancelled.', base);
  }
  if (found.kind === 'insecure_url') {
    return new ConfigurationError(
      `The provider's metadata points to a plain http:// URL on a non-loopback host. Use an https:// issuer; plain http is accepted only on loopback for development.`,
      base,
    );
  }

  if (operation === 'refresh') {
    const reauth = context.reauthErrors ?? ['invalid_grant'];
    if (found.kind === 'oauth_error' && found.oauthError && reauth.includes(found.oauthError)) {
      return new TokenRefreshError(
        `The provider rejected the refresh token${said}. The user must sign in again.`,
        { ...base, ...providerErrorFields, code: ErrorCodes.REAUTH_REQUIRED },
      );
    }
    if (found.kind === 'http_status' && found.status === 400) {
      // RFC 6749 §5.2 answers a bad grant with 400; some servers (authlib-based, Glewlwyd)
      // send it with no JSON body. The request itself was well formed, so the 400 can only be
      // about the refresh token: retrying would fail the same way forever.
      return new TokenRefreshError(
        'The provider rejected the refresh token (HTTP 400 without an error body). The user must sign in again.',
        { ...base, code: ErrorCodes.REAUTH_REQUIRED },
      );
    }
    return new TokenRefreshError(
      `Refreshing the tokens failed: ${explain(found, context, 'token')}`,
      { ...base, ...providerErrorFields, code: ErrorCodes.REFRESH_FAILED },
    );
  }

  if (operation === 'poll' && found.kind === 'oauth_error') {
    if (found.oauthError === 'expired_token') {
      return new AuthFlowTimeout(context.deviceExpiresIn ?? 0, { ...base, ...providerErrorFields });
    }
    return new AuthenticationError(
      `The provider ended the device sign-in${said}. Start a new sign-in.`,
      { ...base, ...providerErrorFields, code: ErrorCodes.PROVIDER_ERROR },
    );
  }

  switch (found.kind) {
    case 'timeout':
    case 'network':
    case 'too_large':
    case 'not_json':
      return new AuthenticationError(capitalize(explain(found, context, target(operation))), {
        ...base,
        code:
          operation === 'discovery' && found.kind !== 'timeout' && found.kind !== 'network'
            ? ErrorCodes.DISCOVERY_FAILED
            : ErrorCodes.PROVIDER_UNAVAILABLE,
      });
    case 'authorization_error':
      return new AuthenticationError(
        `The provider answered the sign-in with an error${said}. Try again, or check the app's registration at the provider.`,
        { ...base, ...providerErrorFields, code: ErrorCodes.PROVIDER_ERROR },
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
    case 'exchange': {
      if (found.kind === 'validation' || (found.kind === 'unknown' && !context.tokenRequestSent)) {
        return validationError(found, context, base);
      }
      return new AuthenticationError(
        `Exchanging the authorization code failed: ${explain(found, context, 'token')}`,
        {
          ...base,
          ...providerErrorFields,
          code:
            found.kind === 'http_status' && (found.status ?? 0) >= 500
              ? ErrorCodes.PROVIDER_UNAVAILABLE
              : ErrorCodes.EXCHANGE_FAILED,
        },
      );
    }
    case 'userinfo':
      if (found.kind === 'validation') return validationError(found, context, base);
      if (found.kind === 'oauth_error' || (found.kind === 'http_status' && isAuthStatus(found))) {
        return new TokenError(
          `The provider rejected the access token at its userinfo endpoint${said}. Refresh the tokens or sign in again.`,
          { ...base, ...providerErrorFields },
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
    case 'revoke':
      return new AuthenticationError(
        `Revoking the token failed: ${explain(found, context, 'revocation')}`,
        { ...base, ...providerErrorFields, code: refusedOrUnavailable(found) },
      );
    case 'device':
    case 'poll':
      if (found.kind === 'validation') return validationError(found, context, base);
      return new AuthenticationError(
        `The device sign-in failed: ${explain(found, context, 'device authorization')}`,
        { ...base, ...providerErrorFields, code: refusedOrUnavailable(found) },
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
        {
          ...base,
          code: ErrorCodes.AUTHENTICATION_FAILED,
        },
      );
  }
}

function validationError(
  found: Classified,
  context: ErrorContext,
  base: { provider: string; cause: Error },
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
function refusedOrUnavailable(found: Classified): ErrorCode {
  if (found.kind === 'oauth_error') return ErrorCodes.PROVIDER_ERROR;
  const status = found.status ?? 0;
  if (
    found.kind === 'http_status' &&
    status >= 400 &&
    status < 500 &&
    status !== 408 &&
    status !== 429
  ) {
    return ErrorCodes.PROVIDER_ERROR;
  }
  return ErrorCodes.PROVIDER_UNAVAILABLE;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function target(operation: ProviderOperation): string {
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

function isAuthStatus(found: Classified): boolean {
  return found.status === 401 || found.status === 403;
}

function describeProviderError(found: Classified): string {
  if (!found.oauthError) return '';
  return found.oauthErrorDescription
    ? `: ${found.oauthError} (${found.oauthErrorDescription})`
    : `: ${found.oauthError}`;
}

function explain(found: Classified, context: ErrorContext, endpoint: string): string {
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
      return `the provider answered with an error${describeProviderError(found)}.`;
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

function explainDiscovery(found: Classified): string {
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

const NOT_JSON_DETAILS = [
  'failed to parse "response" body as JSON',
  '"response" body must be a top level object',
];
const TOKEN_RESPONSE_FIELDS =
  /^"response" body "(access_token|token_type|expires_in|refresh_token|scope)" property/;

function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    out.push(current);
    current = current instanceof Error ? (current as Error & { cause?: unknown }).cause : undefined;
  }
  return out;
}

function errorName(value: unknown): string | undefined {
  return value instanceof Error ? value.name : undefined;
}

function errorCode(value: unknown): string | undefined {
  const code = (value as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function classify(error: unknown): Classified {
  const links = chain(error);
  for (const link of links) {
    if (link instanceof ProviderHttpError) {
      if (link.failure === 'insecure_url') return { kind: 'insecure_url' };
      if (link.failure === 'response_too_large') return { kind: 'too_large' };
      return { kind: 'token_response', detail: link.message };
    }
  }
  for (const link of links) {
    const name = errorName(link);
    const code = errorCode(link);
    if (name === 'AbortError' || code === 'OAUTH_ABORT') return { kind: 'aborted' };
    if (name === 'TimeoutError' || code === 'OAUTH_TIMEOUT') return { kind: 'timeout' };
  }
  if (error instanceof client.AuthorizationResponseError) {
    return {
      kind: 'authorization_error',
      oauthError: sanitizeProviderText(error.error, MAX_ERROR_LENGTH),
      oauthErrorDescription: sanitizeProviderText(error.error_description, MAX_DESCRIPTION_LENGTH),
    };
  }
  if (error instanceof client.ResponseBodyError) {
    return {
      kind: 'oauth_error',
      status: error.status,
      oauthError: sanitizeProviderText(error.error, MAX_ERROR_LENGTH),
      oauthErrorDescription: sanitizeProviderText(error.error_description, MAX_DESCRIPTION_LENGTH),
    };
  }
  if (error instanceof client.WWWAuthenticateChallengeError) {
    const challenge = error.cause[0];
    return {
      kind: 'oauth_error',
      status: error.status,
      oauthError:
        sanitizeProviderText(challenge?.parameters.error, MAX_ERROR_LENGTH) ?? 'invalid_token',
      oauthErrorDescription: sanitizeProviderText(
        challenge?.parameters.error_description,
        MAX_DESCRIPTION_LENGTH,
      ),
    };
  }
  // A network failure: fetch rejects with a bare TypeError ("fetch failed"); openid-client
  // passes TypeErrors through unchanged. Its own argument errors carry an ERR_ code.
  if (error instanceof TypeError && !errorCode(error)?.startsWith('ERR_')) {
    return { kind: 'network' };
  }
  if (error instanceof client.ClientError) {
    return classifyClientError(error);
  }
  if (error instanceof TypeError) {
    return { kind: 'unknown', detail: 'invalid argument' };
  }
  return { kind: 'unknown' };
}

function classifyClientError(error: client.ClientError): Classified {
  const code = error.code;
  const inner = (error as Error & { cause?: unknown }).cause;
  const detail = inner instanceof Error ? inner.message : error.message;
  switch (code) {
    case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
      return { kind: 'http_status', status: inner instanceof Response ? inner.status : undefined };
    case 'OAUTH_RESPONSE_IS_NOT_JSON': {
      // An error status with a non-JSON body is about the status, not the body.
      const status = inner instanceof Response ? inner.status : undefined;
      return { kind: status !== undefined && status !== 200 ? 'http_status' : 'not_json', status };
    }
    case 'OAUTH_HTTP_REQUEST_FORBIDDEN':
    case 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN':
      return { kind: 'insecure_url' };
    case 'OAUTH_MISSING_SERVER_METADATA':
    case 'OAUTH_INVALID_SERVER_METADATA':
      return { kind: 'metadata', detail };
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED': {
      const attribute = (inner as { attribute?: unknown } | undefined)?.attribute;
      if (attribute === 'issuer') {
        const body = (inner as { body?: { issuer?: unknown } }).body;
        const discovered = typeof body?.issuer === 'string' ? URL.parse(body.issuer) : null;
        return {
          kind: 'issuer_mismatch',
          discoveredIssuer: discovered ? discovered.href.slice(0, 200) : undefined,
        };
      }
      return { kind: 'validation', detail };
    }
    case 'OAUTH_PARSE_ERROR':
      return NOT_JSON_DETAILS.includes(detail)
        ? { kind: 'not_json' }
        : { kind: 'validation', detail };
    case 'OAUTH_INVALID_RESPONSE':
      if (NOT_JSON_DETAILS.includes(detail)) return { kind: 'not_json' };
      if (TOKEN_RESPONSE_FIELDS.test(detail)) return { kind: 'token_response', detail };
      return { kind: 'validation', detail };
    case 'OAUTH_UNSUPPORTED_OPERATION':
      if (detail.includes('token_type'))
        return { kind: 'token_response', detail: 'unsupported "token_type"' };
      return { kind: 'validation', detail };
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
    case 'OAUTH_KEY_SELECTION_FAILED':
    case 'OAUTH_JWT_USERINFO_EXPECTED':
      return { kind: 'validation', detail };
    default:
      return { kind: 'unknown', detail: code };
  }
}

/** A cause safe to log: class, code and oauth4webapi's fixed message, no bodies or tokens. */
function summarize(error: unknown, found: Classified): Error {
  const name = errorName(error) ?? typeof error;
  const code = errorCode(error);
  const summary = new Error(
    `${name}${code ? ` [${code}]` : ''}: ${found.kind}${found.detail ? ` (${found.detail})` : ''}`,
  );
  summary.name = 'ProviderErrorSummary';
  return summary;
}
