// The error classes and their codes (src/errors.ts): each class carries its own code by
// default, the hierarchy says what failed, and every code is one of ErrorCodes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuthenticationError,
  AuthFlowCancelled,
  AuthFlowTimeout,
  ConfigurationError,
  type ErrorCode,
  ErrorCodes,
  StoreError,
  TokenError,
  TokenExpiredError,
  TokenRefreshError,
} from '../src/errors.js';
import * as authflow from '../src/index.js';

describe('error classes and codes', () => {
  for (const [error, Class, code] of [
    [new AuthenticationError('x'), AuthenticationError, ErrorCodes.AUTHENTICATION_FAILED],
    [new AuthFlowTimeout(5), AuthFlowTimeout, ErrorCodes.TIMEOUT],
    [new AuthFlowCancelled(), AuthFlowCancelled, ErrorCodes.CANCELLED],
    [new TokenError('x'), TokenError, ErrorCodes.TOKEN_ERROR],
    [new TokenRefreshError('x'), TokenRefreshError, ErrorCodes.REFRESH_FAILED],
    [new TokenExpiredError('x'), TokenExpiredError, ErrorCodes.TOKEN_EXPIRED],
    [new ConfigurationError('x'), ConfigurationError, ErrorCodes.INVALID_CONFIGURATION],
    [new StoreError('x'), StoreError, ErrorCodes.STORE_ERROR],
  ] as const) {
    it(`${Class.name}: code ${code}, name ${Class.name}, an AuthenticationError`, () => {
      assert.equal(error.code, code);
      assert.equal(error.name, Class.name);
      assert.ok(error instanceof AuthenticationError);
    });
  }

  it('a store failure is not a TokenError: the tokens may be fine, their place is not', () => {
    assert.equal(new StoreError('x') instanceof TokenError, false);
  });

  it('a code given in the options wins over the class default', () => {
    const error = new TokenRefreshError('x', { code: ErrorCodes.REAUTH_REQUIRED });
    assert.equal(error.code, ErrorCodes.REAUTH_REQUIRED);
  });

  it('codes are unique snake_case strings, and the package exports every class', () => {
    const values: ErrorCode[] = Object.values(ErrorCodes);
    assert.equal(new Set(values).size, values.length);
    for (const value of values) assert.match(value, /^[a-z]+(?:_[a-z]+)*$/);
    for (const name of ['StoreError', 'ConfigurationError', 'TokenRefreshError', 'ErrorCodes']) {
      assert.ok(name in authflow, name);
    }
  });

  it('the cause is kept for debugging, and only when given', () => {
    const cause = new Error('inner');
    assert.equal(new StoreError('x', { cause }).cause, cause);
    assert.equal('cause' in new StoreError('x'), false);
  });
});
