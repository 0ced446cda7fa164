/**
 * The development provider's own login and consent interactions.
 *
 * @module
 */
import type { InteractionDetails, KoaContext, Middleware, Provider } from 'oidc-provider';
import { consentPage, errorPage, loginPage, renderPage } from './pages.js';
import { readFormBody } from './request-body.js';

const ROUTE = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|confirm|abort))?$/;
const MAX_LOGIN_LENGTH = 200;

/** Options of {@link interactionRoutes}. */
export interface InteractionOptions {
  /** Grant consent without showing the consent page. */
  autoConsent: boolean;
  /** Told about unexpected failures (which get a 500 error page). */
  onError: (error: unknown) => void;
}

async function clientName(provider: Provider, details: InteractionDetails): Promise<string> {
  const id = details.params.client_id ?? '';
  const client = await provider.Client.find(id);
  return client?.clientName ?? id;
}

async function finish(
  provider: Provider,
  ctx: KoaContext,
  result: Record<string, unknown>,
  mergeWithLastSubmission: boolean,
): Promise<void> {
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission,
  });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

/** Records consent to everything the pending request asks for, as oidc-provider's dev interactions do. */
async function grantConsent(provider: Provider, ctx: KoaContext, details: InteractionDetails) {
  const { prompt, grantId, session, params } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session?.accountId ?? '', clientId: params.client_id ?? '' });
  if (grant === undefined) throw new Error('The grant of this interaction no longer exists.');
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes, rar } = prompt.details;
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  for (const detail of rar ?? []) grant.addRar(detail);
  await finish(provider, ctx, { consent: { grantId: await grant.save() } }, true);
}

async function showPrompt(
  provider: Provider,
  ctx: KoaContext,
  details: InteractionDetails,
  options: InteractionOptions,
  error?: string,
): Promise<void> {
  const base = `/interaction/${details.uid}`;
  const name = await clientName(provider, details);
  if (details.prompt.name === 'login') {
    const hint = details.params.login_hint;
    renderPage(
      ctx,
      error ? 400 : 200,
      loginPage({
        action: `${base}/login`,
        clientName: name,
        ...(error ? { error } : {}),
        ...(typeof hint === 'string' ? { loginHint: hint } : {}),
      }),
    );
    return;
  }
  if (details.prompt.name === 'consent') {
    if (options.autoConsent) return grantConsent(provider, ctx, details);
    const scopes = (details.prompt.details.missingOIDCScope ?? []).filter((s) => s !== 'openid');
    renderPage(
      ctx,
      200,
      consentPage({
        approveAction: `${base}/confirm`,
        denyAction: `${base}/abort`,
        clientName: name,
        accountId: details.session?.accountId ?? '',
        scopes,
      }),
    );
    return;
  }
  renderPage(ctx, 501, errorPage('not_implemented', `Unknown prompt ${details.prompt.name}.`));
}

async function handle(
  provider: Provider,
  ctx: KoaContext,
  uid: string,
  action: string | undefined,
  options: InteractionOptions,
): Promise<void> {
  let details: InteractionDetails;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch {
    // Expired, or the interaction cookie is missing (cookies blocked, another browser).
    renderPage(
      ctx,
      400,
      errorPage(
        'invalid_request',
        'This sign-in request expired or was started in another browser. Start again from the application.',
      ),
    );
    return;
  }
  if (details.uid !== uid) {
    renderPage(
      ctx,
      400,
      errorPage(
        'invalid_request',
        'This sign-in page belongs to another request. Start again from the application.',
      ),
    );
    return;
  }
  if (action === undefined) {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return renderMethodNotAllowed(ctx);
    return showPrompt(provider, ctx, details, options);
  }
  if (ctx.method !== 'POST') return renderMethodNotAllowed(ctx);
  if (action === 'abort') {
    return finish(
      provider,
      ctx,
      { error: 'access_denied', error_description: 'End-User denied the request' },
      false,
    );
  }
  if (action === 'login' && details.prompt.name === 'login') {
    const form = await readFormBody(ctx.req);
    const login = (form?.get('login') ?? '').trim();
    if (login === '' || login.length > MAX_LOGIN_LENGTH) {
      return showPrompt(
        provider,
        ctx,
        details,
        options,
        `Enter a user name (1 to ${MAX_LOGIN_LENGTH} characters).`,
      );
    }
    return finish(provider, ctx, { login: { accountId: login } }, false);
  }
  if (action === 'confirm' && details.prompt.name === 'consent') {
    return grantConsent(provider, ctx, details);
  }
  renderPage(
    ctx,
    400,
    errorPage('invalid_request', 'This form does not match the current step. Reload the page.'),
  );
}

function renderMethodNotAllowed(ctx: KoaContext): void {
  renderPage(ctx, 405, errorPage('invalid_request', 'Method not allowed.'));
}

/**
 * Koa middleware serving the login and consent pages under `/interaction/:uid`, in place of
 * oidc-provider's devInteractions (which print warnings and show debug details).
 */
export function interactionRoutes(provider: Provider, options: InteractionOptions): Middleware {
  return async (ctx, next) => {
    const match = ROUTE.exec(ctx.path);
    if (match === null) return next();
    try {
      await handle(provider, ctx, match[1] as string, match[2], options);
    } catch (error) {
      options.onError(error);
      renderPage(
        ctx,
        500,
        errorPage('server_error', 'The development provider failed. Start again.'),
      );
    }
  };
}
