/**
 * Errors raised by authflow. Every error is an {@link AuthenticationError} carrying a stable
 * machine-readable `code` (one of {@link ErrorCodes}) and a message that tells the user what
 * to do next. Messages never contain tokens, secrets, authorization codes or cookies.
 *
 * The class says what failed (a refresh, a setting, a store...), the code says why; code on
 * `error.code`, not on messages, which may be reworded.
 *
 * @example
 * try {
 *   await session.getAccessToken();
 * } catch (error) {
 *   if (error instanceof AuthenticationError && error.code === ErrorCodes.REAUTH_REQUIRED) {
 *     await signInAgain();
 *   } else throw error;
 * }
 * @module
 */

/** Stable error codes. New codes may be added; existing ones never change meaning. */
export const ErrorCodes = {
  /** Generic authentication failure. */
  AUTHENTICATION_FAILED: 'authentication_failed',
  /** The provider answered the authorization request with `error=`. */
  PROVIDER_ERROR: 'provider_error',
  /** The authorization response or a token failed validation (state, iss, nonce, signature...). */
  VALIDATION_FAILED: 'validation_failed',
  /** The code exchange failed. */
  EXCHANGE_FAILED: 'exchange_failed',
  /** The provider could not be reached, or answered garbage. */
  PROVIDER_UNAVAILABLE: 'provider_unavailable',
  /** Discovery of the provider's metadata failed. */
  DISCOVERY_FAILED: 'discovery_failed',
  /** The user did not finish signing in within the time allowed. */
  TIMEOUT: 'timeout',
  /** The flow was cancelled (cancel(), AbortSignal, window closed). */
  CANCELLED: 'cancelled',
  /** A token is missing or malformed, or the provider refused it. */
  TOKEN_ERROR: 'token_error',
  /** No tokens are stored: the user must sign in. */
  NOT_AUTHENTICATED: 'not_authenticated',
  /** Refreshing the tokens failed. */
  REFRESH_FAILED: 'refresh_failed',
  /** The refresh token was rejected (`invalid_grant`): the user must sign in again. */
  REAUTH_REQUIRED: 'reauth_required',
  /** The access token expired and cannot be refreshed. */
  TOKEN_EXPIRED: 'token_expired',
  /** The token store could not be read or written ({@link StoreError}). */
  STORE_ERROR: 'store_error',
  /** A setting is missing or invalid. */
  INVALID_CONFIGURATION: 'invalid_configuration',
  /** The loopback port is taken. */
  PORT_IN_USE: 'port_in_use',
  /** A sign-in was started while another one is still running: cancel it or wait for it. */
  SIGN_IN_IN_PROGRESS: 'sign_in_in_progress',
  /** Something else went wrong on the flow's side. */
  INTERNAL: 'internal_error',
} as const;

/** One of {@link ErrorCodes}' values. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Options common to every authflow error. */
export interface AuthenticationErrorOptions {
  /** Stable machine-readable code; defaults to the class's own code. */
  code?: ErrorCode;
  /** Name of the provider involved, e.g. `google`. */
  provider?: string;
  /** Id of the flow run that failed, when the error comes from a flow. */
  flowId?: string;
  /** The provider's `error` value (e.g. `access_denied`), when it gave one. */
  providerError?: string;
  /** The provider's `error_description`, when it gave one. */
  providerErrorDescription?: string;
  /** The underlying error, for debugging. Never shown to web clients. */
  cause?: unknown;
}

/**
 * Base class of every authflow error.
 *
 * @example
 * throw new AuthenticationError('The provider refused the sign-in. Start it again.', {
 *   code: ErrorCodes.PROVIDER_ERROR,
 *   provider: 'google',
 *   providerError: 'access_denied',
 * });
 */
export class AuthenticationError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Name of the provider involved. */
  readonly provider: string | undefined;
  /** Id of the flow run, when the error comes from a flow. */
  flowId: string | undefined;
  /** The provider's `error` value, when it gave one. */
  readonly providerError: string | undefined;
  /** The provider's `error_description`, when it gave one. */
  readonly providerErrorDescription: string | undefined;

  constructor(message: string, options: AuthenticationErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? ErrorCodes.AUTHENTICATION_FAILED;
    this.provider = options.provider;
    this.flowId = options.flowId;
    this.providerError = options.providerError;
    this.providerErrorDescription = options.providerErrorDescription;
  }
}

/** The user did not finish signing in within `timeout` seconds. */
export class AuthFlowTimeout extends AuthenticationError {
  /** The timeout that ran out, in seconds. */
  readonly timeout: number;

  constructor(timeout: number, options: AuthenticationErrorOptions = {}) {
    super(
      `Sign-in timed out after ${timeout} seconds. Try again, or raise authTimeout if the user needs more time.`,
      { code: ErrorCodes.TIMEOUT, ...options },
    );
    this.timeout = timeout;
  }
}

/** The flow was cancelled by `cancel()`, an AbortSignal, or the user closing the window. */
export class AuthFlowCancelled extends AuthenticationError {
  constructor(message = 'Sign-in was cancelled.', options: AuthenticationErrorOptions = {}) {
    super(message, { code: ErrorCodes.CANCELLED, ...options });
  }
}

/**
 * A token is missing or malformed, or the provider refused it (e.g. at its userinfo
 * endpoint). A token store that cannot be read or written is a {@link StoreError}.
 */
export class TokenError extends AuthenticationError {
  constructor(message: string, options: AuthenticationErrorOptions = {}) {
    super(message, { code: ErrorCodes.TOKEN_ERROR, ...options });
  }
}

/**
 * Refreshing tokens failed. `code` is `reauth_required` when the user must sign in again
 * (the refresh token was refused), `refresh_failed` when trying again later may work.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @example
 * catch (error) {
 *   if (error instanceof TokenRefreshError && error.code === ErrorCodes.REAUTH_REQUIRED) {
 *     await store.delete(key); // the refresh token is dead
 *   }
 * }
 */
export class TokenRefreshError extends TokenError {
  constructor(message: string, options: AuthenticationErrorOptions = {}) {
    super(message, { code: ErrorCodes.REFRESH_FAILED, ...options });
  }
}

/** The access token has expired and there is no way to refresh it. */
export class TokenExpiredError extends TokenError {
  constructor(message: string, options: AuthenticationErrorOptions = {}) {
    super(message, { code: ErrorCodes.TOKEN_EXPIRED, ...options });
  }
}

/** A setting is missing or invalid. The message names the setting and how to fix it. */
export class ConfigurationError extends AuthenticationError {
  constructor(message: string, options: AuthenticationErrorOptions = {}) {
    super(message, { code: ErrorCodes.INVALID_CONFIGURATION, ...options });
  }
}

/**
 * A token store (file, keychain, Redis...) or its lock could not be read or written. Not a
 * {@link TokenError}: the tokens may be fine, the place they are kept is not.
 */
export class StoreError extends AuthenticationError {
  constructor(message: string, options: AuthenticationErrorOptions = {}) {
    super(message, { code: ErrorCodes.STORE_ERROR, ...options });
  }
}
