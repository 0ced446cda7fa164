/**
 * `GET /auth/login[?returnTo=/path]`: starts a sign-in.
 *
 * @module
 */
import * as client from 'openid-client';
import { nowSeconds } from '../../tokens/token-set.js';
import { clientIp } from '../client-ip.js';
import { type AuthContext, PENDING_LOGIN_TTL } from '../context.js';
import { randomId, sha256 } from '../crypto.js';
import { errorResponse, redirect } from '../http.js';
import { exchangeFailure, withDeadline } from '../provider-call.js';
import { safeReturnTo } from '../return-to.js';
import type { PendingLogin } from '../session-store.js';

/**
 * Rate-limits per client IP, creates state, nonce and PKCE verifier, stores the pending login
 * server-side under its state (single use, 10 minutes), binds it to this browser with a
 * signed HttpOnly cookie, and redirects to the provider. Several tabs may log in at once: they
 * share the browser's binding secret.
 */
export async function login(ctx: AuthContext, request: Request, env: unknown): Promise<Response> {
  const { options } = ctx;
  const url = new URL(request.url);
  const returnToValues = url.searchParams.getAll('returnTo');
  if (returnToValues.length > 1) {
    return errorResponse(400, 'invalid_request', 'Give `returnTo` at most once.');
  }
  const { sessions } = await ctx.stores();
  const { max, windowSeconds } = options.loginRateLimit;
  const hits = await sessions.hit(
    `login:${clientIp(request, env, options.trustProxy)}`,
    windowSeconds,
  );
  if (hits > max) {
    return errorResponse(
      429,
      'rate_limited',
      'Too many sign-in attempts. Wait a minute and try again.',
      {
        'retry-after': String(windowSeconds),
      },
    );
  }

  const state = client.randomState();
  const nonce = options.provider.isOidc ? client.randomNonce() : undefined;
  const codeVerifier = options.usePkce ? client.randomPKCECodeVerifier() : undefined;
  const codeChallenge =
    codeVerifier === undefined ? undefined : await client.calculatePKCECodeChallenge(codeVerifier);
  let authorizeUrl: URL;
  try {
    authorizeUrl = await withDeadline(
      () =>
        options.provider.buildAuthorizeUrl({
          redirectUri: options.redirectUri,
          state,
          nonce,
          codeChallenge,
        }),
      options.providerTimeoutMs,
    );
  } catch (error) {
    ctx.report(error, 'login');
    return exchangeFailure(error);
  }

  const bindingSecret = (await ctx.bindingSecretFrom(request)) ?? randomId();
  const pending: PendingLogin = {
    state,
    nonce,
    codeVerifier,
    returnTo: safeReturnTo(returnToValues[0], options.origin),
    bindingHash: await sha256(bindingSecret),
    createdAt: nowSeconds(),
  };
  await sessions.putPendingLogin(pending, PENDING_LOGIN_TTL);
  return redirect(authorizeUrl.href, { 'set-cookie': await ctx.bindingCookie(bindingSecret) });
}
