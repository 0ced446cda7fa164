/**
 * Calls to the provider with a deadline, and the mapping of their failures to HTTP answers.
 *
 * @module
 */
import { AuthenticationError, ErrorCodes } from '../errors.js';
import { errorResponse } from './http.js';

/**
 * Runs `call` with an AbortSignal that fires after `timeoutMs`, and rejects at the deadline
 * even if the call ignores the signal (a provider that never answers must not hold a request).
 */
export function withDeadline<T>(
  call: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      controller.abort();
      reject(
        new AuthenticationError('The provider did not answer in time. Try again later.', {
          code: ErrorCodes.PROVIDER_UNAVAILABLE,
        }),
      );
    }, timeoutMs);
    let pending: Promise<T>;
    try {
      pending = call(controller.signal);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * The answer for a failed code exchange or ID-token validation. Our own wording only: the
 * provider's messages and bodies never reach the browser.
 */
export function exchangeFailure(error: unknown): Response {
  const code = error instanceof AuthenticationError ? error.code : undefined;
  if (code === ErrorCodes.VALIDATION_FAILED) {
    return errorResponse(
      400,
      'validation_failed',
      'The sign-in response failed validation. Start the sign-in again.',
    );
  }
  if (code === ErrorCodes.PROVIDER_ERROR) {
    return errorResponse(
      400,
      'provider_error',
      'The provider refused the sign-in. Start the sign-in again.',
    );
  }
  if (code === ErrorCodes.EXCHANGE_FAILED || code === ErrorCodes.AUTHENTICATION_FAILED) {
    const rejected =
      error instanceof AuthenticationError && error.providerError === 'invalid_grant';
    return rejected
      ? errorResponse(
          400,
          'exchange_failed',
          'The authorization code was rejected (expired or already used). Start the sign-in again.',
        )
      : errorResponse(
          502,
          'exchange_failed',
          'The provider could not complete the sign-in. Try again later.',
        );
  }
  return errorResponse(
    502,
    'provider_unavailable',
    'The provider is unavailable or answered invalid data. Try again later.',
  );
}
