/**
 * `GET /auth/callback`: finishes a sign-in.
 *
 * @module
 */
import { type UserInfo, userIdFromUserInfo } from '../../providers/types.js';
import { nowSeconds, type OAuthTokenSet } from '../../tokens/token-set.js';
import type { AuthContext } from '../context.js';
import { randomId, sha256, timingSafeEqualStrings } from '../crypto.js';
import { errorResponse, redirect } from '../http.js';
import { exchangeFailure, withDeadline } from '../provider-call.js';
import { resolveRoles } from '../roles.js';
import type { UserSession } from '../session.js';
import type { PendingLogin, SessionStore } from '../session-store.js';
import { indexSession, signInRecord } from '../user-sessions.js';

/** Parameters of an authorization response; each may appear at most once. */
const SINGLE_PARAMS = [
  'state',
  'code',
  'error',
  'error_description',
  'error_uri',
  'iss',
  'session_state',
];

/**
 * Checks the state against the pending login AND the browser's binding cookie, exchanges the
 * code (bounded by `providerTimeout`), reads the user's claims, then creates a session under a
 * NEW random id and redirects. Any failure answers JSON and creates nothing.
 */
export async function callback(ctx: AuthContext, request: Request): Promise<Response> {
  const { options } = ctx;
  const requestUrl = new URL(request.url);
  const params = requestUrl.searchParams;
  for (const name of SINGLE_PARAMS) {
    if (params.getAll(name).length > 1) {
      return errorResponse(
        400,
        'invalid_request',
        `The callback has \`${name}\` more than once. Start the sign-in again.`,
      );
    }
  }
  const state = params.get('state');
  if (state === null || state.length === 0 || state.length > 512) {
    return errorResponse(
      400,
      'invalid_state',
      'The callback has no valid `state`. Start the sign-in again.',
    );
  }
  const bindingSecrets = await ctx.bindingSecretsFrom(request);
  if (bindingSecrets.length === 0) {
    return bindingFailed();
  }
  const { sessions, tokens } = await ctx.stores();
  const pending = await takeBoundLogin(sessions, state, bindingSecrets);
  if (pending === 'unbound') return bindingFailed();
  if (pending === undefined || pending.state !== state) {
    return errorResponse(
      400,
      'invalid_state',
      'This sign-in is unknown, expired or already used. Start the sign-in again.',
    );
  }
  const providerError = params.get('error');
  if (providerError !== null) {
    const safeCode = /^[a-z_]{1,64}$/.test(providerError) ? providerError : 'unknown_error';
    return errorResponse(
      400,
      'provider_error',
      `The provider refused the sign-in (${safeCode}). Start the sign-in again.`,
    );
  }
  const code = params.get('code');
  if (code === null || code.length === 0) {
    return errorResponse(
      400,
      'invalid_request',
      'The callback has no authorization code. Start the sign-in again.',
    );
  }

  // The provider checks the response against the registered redirect URI, whatever host or
  // proxy the request came through.
  const callbackUrl = new URL(options.redirectUri);
  callbackUrl.search = requestUrl.search;
  let tokenSet: OAuthTokenSet;
  let userInfo: UserInfo;
  try {
    tokenSet = await withDeadline(
      (signal) =>
        options.provider.exchangeCode({
          callbackUrl,
          redirectUri: options.redirectUri,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          codeVerifier: pending.codeVerifier,
          signal,
        }),
      options.providerTimeoutMs,
    );
    userInfo = await withDeadline(
      (signal) => options.provider.getUserInfo(tokenSet, { signal }),
      options.providerTimeoutMs,
    );
  } catch (error) {
    ctx.report(error, 'callback');
    return exchangeFailure(error);
  }

  const userId = userIdFromUserInfo(userInfo);
  if (userId === 'default') {
    return errorResponse(
      502,
      'provider_unavailable',
      'The provider did not say who the user is. Try again later.',
    );
  }
  const now = nowSeconds();
  const session: UserSession = {
    sessionId: randomId(),
    userId,
    roles: await resolveRoles(userId, userInfo, options),
    createdAt: now,
    expiresAt: now + options.sessionTtl,
    metadata: { userInfo, provider: options.provider.name },
    ...signInRecord(tokenSet, now),
  };
  await tokens.save(session.sessionId, tokenSet);
  try {
    await indexSession(ctx, session);
    await sessions.set(session);
  } catch (error) {
    await tokens.delete(session.sessionId).catch(() => {});
    throw error;
  }
  // Sessions the browser already had (a planted one too) are ended, never reused: no session
  // fixation, and no planted session left to stand next to the new one.
  for (const previousId of await ctx.sessionIdsFrom(request)) {
    await Promise.allSettled([sessions.delete(previousId), tokens.delete(previousId)]);
  }
  return redirect(pending.returnTo ?? options.afterLoginPath, {
    'set-cookie': await ctx.sessionCookie(session.sessionId),
  });
}

/**
 * Takes the pending login under `state` if it is bound to one of the browser's binding
 * secrets (several only when a cookie was planted next to the real one). The store checks the
 * binding before it takes the login: another browser's callback leaves it in place.
 */
async function takeBoundLogin(
  sessions: SessionStore,
  state: string,
  bindingSecrets: readonly string[],
): Promise<PendingLogin | 'unbound' | undefined> {
  let outcome: PendingLogin | 'unbound' | undefined;
  for (const secret of bindingSecrets) {
    const bindingHash = await sha256(secret);
    outcome = await sessions.takePendingLogin(state, bindingHash);
    if (outcome === undefined) return undefined;
    if (outcome !== 'unbound') {
      // Checked again here, in case an app's own store does not check it.
      return timingSafeEqualStrings(bindingHash, outcome.bindingHash) ? outcome : 'unbound';
    }
  }
  return outcome;
}

function bindingFailed(): Response {
  return errorResponse(
    400,
    'login_binding_failed',
    'This sign-in was not started in this browser (or its cookie expired). Start the sign-in again.',
  );
}
