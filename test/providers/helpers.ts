/**
 * Shared bits of the provider tests (not a test file itself).
 */
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { AuthenticationError, type ErrorCode } from '../../src/errors.js';
import type { OAuthProvider } from '../../src/providers/types.js';
import type { OAuthTokenSet } from '../../src/tokens/token-set.js';
import type { GrantSpec, HostileProvider } from '../helpers/hostile-provider.js';

/** The redirect URI used by the tests (no server listens there: callbacks are built by hand). */
export const REDIRECT_URI = 'http://127.0.0.1:53682/callback';

/** A callback URL as the provider would redirect to. */
export function callbackUrl(params: Record<string, string>): URL {
  const url = new URL(REDIRECT_URI);
  for (const [key, value] of Object.entries(params)) url.searchParams.append(key, value);
  return url;
}

/** Runs a full code exchange against the hostile provider with the given grant. */
export async function exchange(
  provider: OAuthProvider,
  op: HostileProvider,
  grant: GrantSpec = {},
  extraCallbackParams: Record<string, string> = {},
): Promise<OAuthTokenSet> {
  const state = client.randomState();
  const nonce = client.randomNonce();
  const verifier = client.randomPKCECodeVerifier();
  const code = op.issueCode({
    nonce,
    codeChallenge: await client.calculatePKCECodeChallenge(verifier),
    ...grant,
  });
  return provider.exchangeCode({
    callbackUrl: callbackUrl({ code, state, ...extraCallbackParams }),
    redirectUri: REDIRECT_URI,
    expectedState: state,
    expectedNonce: nonce,
    codeVerifier: verifier,
  });
}

/**
 * Asserts a rejection with the given class and code, whose message leaks no token, code or
 * JWT (the hostile provider's values all have recognisable prefixes).
 */
export async function rejectsWith(
  promise: Promise<unknown>,
  expected: { class?: new (...args: never[]) => Error; code: ErrorCode; providerError?: string },
): Promise<AuthenticationError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(
    caught instanceof AuthenticationError,
    `expected an AuthenticationError, got ${String(caught)}`,
  );
  assert.ok(
    caught instanceof (expected.class ?? AuthenticationError),
    `wrong class ${caught.name}`,
  );
  assert.equal(caught.code, expected.code, `wrong code; message: ${caught.message}`);
  if (expected.providerError !== undefined)
    assert.equal(caught.providerError, expected.providerError);
  assertNoSecrets(caught.message);
  assertNoSecrets(String((caught as Error & { cause?: unknown }).cause ?? ''));
  return caught;
}

/** Asserts that `text` carries no token, code or JWT from the hostile provider. */
export function assertNoSecrets(text: string): void {
  assert.doesNotMatch(text, /\b(at|rt|code|dc)-[A-Za-z0-9_-]{16,}/, `secret in: ${text}`);
  assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}/, `JWT in: ${text}`);
}
