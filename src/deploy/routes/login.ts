/**
 * `GET /auth/login[?returnTo=/path]`: starts a sign-in.
 *
 * @module
 */
import * as client from 'openid-client';
import { ConfigurationError } from '../../errors.js';
import { nowSeconds } from '../../tokens/token-set.js';
import { addressKey, clientAddress } from '../client-ip.js';
import { type AuthContext, PENDING_LOGIN_TTL } from '../context.js';
import { randomId, sha256 } from '../crypto.js';
import { errorResponse, redirect } from '../http.js';
import { exchangeFailure, withDeadline } from '../provider-call.js';
import { safeReturnTo } from '../return-to.js';
import type { PendingLogin } from '../session-store.js';

/** Apps already told that their server adapter gives no client address. */
const toldNoAddress = new WeakSet<AuthContext>();

/**
 * Rate-limits per client (see {@link rateLimitKey}), creates state, nonce and PKCE verifier,
 * stores the pending login server-side under its state (single use, 10 minutes) together with
 * its client, binds it to this browser with a signed HttpOnly cookie, and redirects to the
 * provider. Several tabs may log in at once: they share the browser's binding secret.
 */
export async function login(ctx: AuthContext, request: Request, env: unknown): Promise<Response> {
  const { options } = ctx;
  const url = new URL(request.url);
  const returnToValues = url.searchParams.getAll('returnTo');
  if (returnToValues.length > 1) {
    return errorResponse(400, 'invalid_request', 'Give `returnTo` at most once.');
  }
  const { sessions } = await ctx.stores();
  const bindingSecrets = await ctx.bindingSecretsFrom(request);
  // Several valid binding cookies (one planted next to ours): start a binding of our own.
  const bindingSecret = bindingSecrets.length === 1 ? (bindingSecrets[0] as string) : randomId();
  const bindingHash = await sha256(bindingSecret);
  const who = rateLimitKey(ctx, request, env, bindingSecrets.length === 1 ? bindingHash : '');
  const { max, windowSeconds } = options.loginRateLimit;
  const hits = who === undefined ? 0 : await sessions.hit(`login:${who}`, windowSeconds);
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

  const pending: PendingLogin = {
    state,
    nonce,
    codeVerifier,
    returnTo: safeReturnTo(returnToValues[0], options.origin),
    bindingHash,
    createdAt: nowSeconds(),
  };
  // New browsers without an address share one group: a flood of them can push out only logins
  // of that group from a capped store, never those of known clients.
  await sessions.putPendingLogin(pending, PENDING_LOGIN_TTL, who ?? 'unknown');
  return redirect(authorizeUrl.href, { 'set-cookie': await ctx.bindingCookie(bindingSecret) });
}

/**
 * Who is counted: the client's address (IPv6 by /64) when the adapter or `clientAddress`
 * gives it; else the browser, by its existing login binding (`bindingHash`, `''` for none).
 * Never one bucket shared by every client without an address: one of them could fill it and
 * lock everyone out. A new browser without an address is not counted (the app is told once,
 * through `onError`, to pass the address).
 */
function rateLimitKey(
  ctx: AuthContext,
  request: Request,
  env: unknown,
  bindingHash: string,
): string | undefined {
  const { options } = ctx;
  const address = addressKey(
    clientAddress(request, env, options.trustProxy, options.clientAddress),
  );
  if (address !== undefined) return address;
  if (!toldNoAddress.has(ctx)) {
    toldNoAddress.add(ctx);
    ctx.report(
      new ConfigurationError(
        'The server adapter gave no client address, so sign-ins are rate-limited per browser only. Pass it: `auth.fetch(request, { remoteAddress })`, or the `clientAddress` option.',
      ),
      'login',
    );
  }
  return bindingHash === '' ? undefined : `browser:${bindingHash}`;
}
