/**
 * Recognises what went wrong in a provider call, from whatever openid-client (and
 * oauth4webapi under it) or authflow's fetch guard threw. This is the only module that knows
 * their error classes, their `code`s and the shape of their `cause`s; it never reads their
 * message text, which may be reworded by any upgrade. What authflow then tells the user is
 * decided in `error-policy.ts`.
 *
 * openid-client rethrows oauth4webapi's `ResponseBodyError`, `AuthorizationResponseError`,
 * `WWWAuthenticateChallengeError` and `TypeError`s as they are, and wraps its
 * `OperationProcessingError`s in a `ClientError` carrying the same `code`.
 *
 * @see https://github.com/panva/oauth4webapi/blob/main/docs/README.md (the exported codes)
 * @module
 */
import * as client from 'openid-client';
import { ProviderHttpError } from './http.js';

/**
 * The `code`s of oauth4webapi's `OperationProcessingError` and `UnsupportedOperationError`
 * (its exported constants of the same names), which openid-client copies onto `ClientError`.
 */
export const OAUTH_CODES = {
  PARSE_ERROR: 'OAUTH_PARSE_ERROR',
  INVALID_RESPONSE: 'OAUTH_INVALID_RESPONSE',
  RESPONSE_IS_NOT_JSON: 'OAUTH_RESPONSE_IS_NOT_JSON',
  RESPONSE_IS_NOT_CONFORM: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
  HTTP_REQUEST_FORBIDDEN: 'OAUTH_HTTP_REQUEST_FORBIDDEN',
  REQUEST_PROTOCOL_FORBIDDEN: 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN',
  MISSING_SERVER_METADATA: 'OAUTH_MISSING_SERVER_METADATA',
  INVALID_SERVER_METADATA: 'OAUTH_INVALID_SERVER_METADATA',
  JSON_ATTRIBUTE_COMPARISON: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  JWT_TIMESTAMP_CHECK: 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  JWT_CLAIM_COMPARISON: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  KEY_SELECTION: 'OAUTH_KEY_SELECTION_FAILED',
  JWT_USERINFO_EXPECTED: 'OAUTH_JWT_USERINFO_EXPECTED',
  UNSUPPORTED_OPERATION: 'OAUTH_UNSUPPORTED_OPERATION',
  /** openid-client's own, for an aborted request. */
  ABORT: 'OAUTH_ABORT',
  /** openid-client's own, for a request past its `timeout`. */
  TIMEOUT: 'OAUTH_TIMEOUT',
} as const;

/** What kind of failure a provider call ran into. */
export type FailureKind =
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

/** A recognised failure: its kind and the safe facts that come with it. */
export interface ProviderFailure {
  kind: FailureKind;
  /** The library's fixed description of the failure (no values from the response in it). */
  detail?: string;
  /** HTTP status of the response, when one was involved. */
  status?: number;
  /** The provider's `error`, sanitised. */
  oauthError?: string;
  /** The provider's `error_description`, sanitised. */
  oauthErrorDescription?: string;
  /** The issuer the provider's metadata names, when it differs from the configured one. */
  discoveredIssuer?: string;
}

const MAX_ERROR_LENGTH = 64;
const MAX_DESCRIPTION_LENGTH = 200;
const MAX_CHAIN = 8;

/**
 * Keeps a provider-supplied `error` / `error_description` printable and short: only
 * %x20-21 / %x23-5B / %x5D-7E are allowed in them, so anything else (control characters,
 * quotes, backslashes, non-ASCII) is replaced.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @example
 * sanitizeProviderText('bad\u001b[31m', 64); // 'bad?[31m'
 */
export function sanitizeProviderText(value: unknown, maxLength: number): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const cleaned = value.slice(0, maxLength * 2).replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?');
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength - 3)}...` : cleaned;
}

/** Recognises the failure behind `error`, walking its `cause` chain. */
export function recognizeProviderError(error: unknown): ProviderFailure {
  const links = causeChain(error);
  for (const link of links) {
    if (link instanceof ProviderHttpError) return fromGuard(link);
  }
  for (const link of links) {
    const name = link instanceof Error ? link.name : undefined;
    const code = codeOf(link);
    if (name === 'AbortError' || code === OAUTH_CODES.ABORT) return { kind: 'aborted' };
    if (name === 'TimeoutError' || code === OAUTH_CODES.TIMEOUT) return { kind: 'timeout' };
  }
  if (error instanceof client.AuthorizationResponseError) {
    return {
      kind: 'authorization_error',
      ...providerText(error.error, error.error_description),
    };
  }
  if (error instanceof client.ResponseBodyError) {
    return {
      kind: 'oauth_error',
      status: error.status,
      ...providerText(error.error, error.error_description),
    };
  }
  if (error instanceof client.WWWAuthenticateChallengeError) {
    const parameters = error.cause[0]?.parameters;
    const said = providerText(parameters?.error, parameters?.error_description);
    return {
      kind: 'oauth_error',
      status: error.status,
      ...said,
      oauthError: said.oauthError ?? 'invalid_token',
    };
  }
  // A network failure: fetch rejects with a bare TypeError ("fetch failed"); openid-client
  // passes TypeErrors through unchanged. Its own argument errors carry an ERR_ code.
  if (error instanceof TypeError && !codeOf(error)?.startsWith('ERR_')) return { kind: 'network' };
  if (error instanceof client.ClientError) return fromClientError(error);
  if (error instanceof TypeError) return { kind: 'unknown', detail: 'invalid argument' };
  return { kind: 'unknown' };
}

/**
 * A cause safe to log: class, code and kind of the failure, without response bodies or
 * tokens (openid-client's own errors carry whole bodies).
 */
export function summarizeProviderError(error: unknown, failure: ProviderFailure): Error {
  const name = error instanceof Error ? error.name : typeof error;
  const code = codeOf(error);
  const summary = new Error(
    `${name}${code ? ` [${code}]` : ''}: ${failure.kind}${failure.detail ? ` (${failure.detail})` : ''}`,
  );
  summary.name = 'ProviderErrorSummary';
  return summary;
}

function fromGuard(error: ProviderHttpError): ProviderFailure {
  switch (error.failure) {
    case 'insecure_url':
      return { kind: 'insecure_url' };
    case 'response_too_large':
      return { kind: 'too_large' };
    case 'response_not_json':
      return { kind: 'not_json' };
    default:
      return { kind: 'token_response', detail: error.message };
  }
}

function fromClientError(error: client.ClientError): ProviderFailure {
  const inner = causeOf(error);
  const detail = inner instanceof Error ? inner.message : error.message;
  switch (error.code) {
    case OAUTH_CODES.RESPONSE_IS_NOT_CONFORM:
      return { kind: 'http_status', status: statusOf(inner) };
    case OAUTH_CODES.RESPONSE_IS_NOT_JSON: {
      // An error status with a non-JSON body is about the status, not the body.
      const status = statusOf(inner);
      return { kind: status !== undefined && status !== 200 ? 'http_status' : 'not_json', status };
    }
    case OAUTH_CODES.HTTP_REQUEST_FORBIDDEN:
    case OAUTH_CODES.REQUEST_PROTOCOL_FORBIDDEN:
      return { kind: 'insecure_url' };
    case OAUTH_CODES.MISSING_SERVER_METADATA:
    case OAUTH_CODES.INVALID_SERVER_METADATA:
      return { kind: 'metadata', detail };
    case OAUTH_CODES.JSON_ATTRIBUTE_COMPARISON:
      return fromAttributeComparison(inner, detail);
    case OAUTH_CODES.INVALID_RESPONSE: {
      // A body that parsed but is not an object comes with `{ body }` holding it.
      const body = bodyOf(inner);
      if (body.present && !isJsonObject(body.value)) return { kind: 'not_json' };
      return { kind: 'validation', detail };
    }
    case OAUTH_CODES.UNSUPPORTED_OPERATION:
      // Only the token response check attaches the body (an unsupported `token_type`).
      if (bodyOf(inner).present) {
        return { kind: 'token_response', detail: 'unsupported "token_type"' };
      }
      return { kind: 'validation', detail };
    // A body that is not JSON at all is reported by authflow's fetch guard (found above),
    // so a parse error left here is about a JWT's segments.
    case OAUTH_CODES.PARSE_ERROR:
    case OAUTH_CODES.JWT_TIMESTAMP_CHECK:
    case OAUTH_CODES.JWT_CLAIM_COMPARISON:
    case OAUTH_CODES.KEY_SELECTION:
    case OAUTH_CODES.JWT_USERINFO_EXPECTED:
      return { kind: 'validation', detail };
    default:
      return { kind: 'unknown', detail: error.code };
  }
}

function fromAttributeComparison(inner: unknown, detail: string): ProviderFailure {
  const facts = inner as { attribute?: unknown; body?: { issuer?: unknown } } | undefined;
  if (facts?.attribute !== 'issuer') return { kind: 'validation', detail };
  const issuer = facts.body?.issuer;
  const discovered = typeof issuer === 'string' ? URL.parse(issuer) : null;
  return {
    kind: 'issuer_mismatch',
    discoveredIssuer: discovered ? discovered.href.slice(0, 200) : undefined,
  };
}

function providerText(
  error: unknown,
  description: unknown,
): Pick<ProviderFailure, 'oauthError' | 'oauthErrorDescription'> {
  return {
    oauthError: sanitizeProviderText(error, MAX_ERROR_LENGTH),
    oauthErrorDescription: sanitizeProviderText(description, MAX_DESCRIPTION_LENGTH),
  };
}

function causeChain(error: unknown): unknown[] {
  const out: unknown[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < MAX_CHAIN; depth++) {
    out.push(current);
    current = current instanceof Error ? causeOf(current) : undefined;
  }
  return out;
}

function causeOf(error: Error): unknown {
  return (error as Error & { cause?: unknown }).cause;
}

/** oauth4webapi attaches `{ body }` (the parsed response) as the cause of a bad response. */
function bodyOf(inner: unknown): { present: boolean; value?: unknown } {
  const cause = inner instanceof Error ? causeOf(inner) : undefined;
  if (typeof cause !== 'object' || cause === null || !('body' in cause)) return { present: false };
  return { present: true, value: (cause as { body: unknown }).body };
}

function statusOf(value: unknown): number | undefined {
  return value instanceof Response ? value.status : undefined;
}

function codeOf(value: unknown): string | undefined {
  const code = (value as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
