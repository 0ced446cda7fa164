/**
 * What the refresh tests share, in deploy mode and in the core SessionManager alike: bending
 * the hostile provider's refresh answers, racing a rotation, and reading what was sent. The
 * hostile provider rotates refresh tokens (a used one is rejected with `invalid_grant`). Not a
 * test file itself.
 */
import assert from 'node:assert/strict';
import type { OAuthTokenSet } from '../../../src/tokens/token-set.js';
import type { HostileProvider, HostileReply } from '../../helpers/hostile-provider.js';

/** Whether a token request form is a refresh (and not a code exchange). */
export const isRefresh = (form: URLSearchParams | undefined) =>
  form?.get('grant_type') === 'refresh_token';

/** Answers refresh requests with `reply` (code exchanges keep the default). */
export function bendRefresh(op: HostileProvider, reply: HostileReply): void {
  op.override('token', (request) => (isRefresh(request.form) ? reply : undefined));
}

/**
 * The race of two workers (or processes) on one token set: the first refresh request to reach
 * the provider is held there while `rotate` (the other one) refreshes with the same refresh
 * token and lands first; the held request is then answered as usual, which means the
 * `invalid_grant` of a token already used. Returns a getter for what `rotate` resolved
 * (`undefined` while no refresh request came).
 */
export function raceFirstRefresh(
  op: HostileProvider,
  rotate: () => Promise<OAuthTokenSet>,
): () => OAuthTokenSet | undefined {
  let raced = false;
  let rotated: OAuthTokenSet | undefined;
  op.override('token', async (request) => {
    if (!isRefresh(request.form) || raced) return undefined;
    raced = true;
    rotated = await rotate();
    return undefined;
  });
  return () => rotated;
}

/** Refresh-token values sent to the token endpoint since `since`, in order. */
export function refreshTokensSent(op: HostileProvider, since = 0): string[] {
  return op.requests
    .slice(since)
    .filter((request) => request.route === 'token' && isRefresh(request.form))
    .map((request) => request.form?.get('refresh_token') ?? '');
}

/** A token set whose tokens all come from one provider response (never a mix of two). */
export function assertConsistent(tokens: OAuthTokenSet | undefined, label: string): void {
  assert.ok(tokens, `${label}: a token set`);
  assert.equal(
    tokens.raw?.access_token,
    tokens.accessToken,
    `${label}: access token of its response`,
  );
  assert.equal(
    tokens.raw?.refresh_token,
    tokens.refreshToken,
    `${label}: refresh token of its response`,
  );
}
