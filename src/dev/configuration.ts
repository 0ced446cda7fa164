/**
 * The oidc-provider configuration of the development provider: features, TTLs, claims and
 * the policies it relaxes for development.
 *
 * @module
 */
import type { ClientInstance, KoaContext } from 'oidc-provider';
import { devClients, isLoopbackHttpUrl } from './clients.js';
import {
  deviceConfirmPage,
  deviceInputPage,
  deviceSuccessPage,
  errorPage,
  logoutPage,
  logoutSuccessPage,
  renderPage,
} from './pages.js';
import type { DevAdapter } from './state.js';
import type { DevAccountClaims, DevProviderOptions } from './types.js';

const DAY = 24 * 60 * 60;

/** Settled options: every default applied. */
export interface ResolvedOptions {
  autoConsent: boolean;
  claims: ((accountId: string) => DevAccountClaims | Promise<DevAccountClaims>) | undefined;
  extraClaimNames: string[];
  rotateRefreshTokens: boolean;
  accessTokenTtl: number;
  idTokenTtl: number;
  refreshTokenTtl: number;
  deviceCodeTtl: number;
  devicePollInterval: number;
  webClientSecret: string;
  webClientBackchannelLogoutUri: string | undefined;
  clients: NonNullable<DevProviderOptions['clients']>;
  /** Keys of oidc-provider's signed cookies. */
  cookieKeys: string[];
  /** Where grants, sessions and tokens live; `undefined` for memory. */
  adapter: ((model: string) => DevAdapter) | undefined;
}

/** The built-in claims of a development account: whatever the user typed is the `sub`. */
function accountClaims(accountId: string): DevAccountClaims {
  return {
    name: accountId,
    preferred_username: accountId,
    email: `${accountId}@example.test`,
    email_verified: true,
  };
}

function clientDisplayName(ctx: KoaContext): string {
  const client = ctx.oidc?.client;
  return client?.clientName ?? client?.clientId ?? 'the application';
}

const DEVICE_ERRORS: Readonly<Record<string, [code: string, message: string]>> = {
  NoCodeError: ['invalid_user_code', 'Enter the code shown on your device.'],
  NotFoundError: ['invalid_user_code', 'The code you entered is incorrect. Try again.'],
  ExpiredError: ['expired_token', 'The code has expired. Start again on your device.'],
  AlreadyUsedError: ['invalid_user_code', 'The code has already been used.'],
  AbortedError: ['access_denied', 'The sign-in was aborted.'],
};

function deviceError(error: unknown): [code: string, message: string] | undefined {
  if (error === undefined || error === null) return undefined;
  const { name, error: code } = error as { name?: string; error?: string };
  const known = DEVICE_ERRORS[name ?? ''];
  if (known) return known;
  if (code === 'access_denied') return ['access_denied', 'The sign-in was denied.'];
  return [
    code ?? 'server_error',
    'There was an error processing your request. Start again on your device.',
  ];
}

/** The oidc-provider configuration of the development provider. */
export function providerConfiguration(options: ResolvedOptions): Record<string, unknown> {
  return {
    // oidc-provider refuses to call special-use addresses (SSRF guard); the development
    // provider's clients (back-channel logout) live on loopback, so those calls are let through.
    fetch: (url: string | URL, init: RequestInit & { dispatcher?: unknown }) => {
      if (!isLoopbackHttpUrl(String(url))) return globalThis.fetch(url, init);
      const { dispatcher: _guarded, ...rest } = init;
      return globalThis.fetch(url, rest);
    },
    clients: devClients(
      options.webClientSecret,
      options.clients,
      options.webClientBackchannelLogoutUri,
    ),
    cookies: { keys: options.cookieKeys },
    ...(options.adapter === undefined ? {} : { adapter: options.adapter }),
    // Authorization code flow only (no implicit or hybrid responses).
    responseTypes: ['code'],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'groups', 'roles', ...options.extraClaimNames],
      email: ['email', 'email_verified'],
    },
    // Put the scopes' claims in the ID token too (like Google and Microsoft do), not only
    // behind the userinfo endpoint.
    conformIdTokenClaims: false,
    async findAccount(_ctx: KoaContext, sub: string) {
      return {
        accountId: sub,
        async claims() {
          const extra = (await options.claims?.(sub)) ?? {};
          return { ...accountClaims(sub), ...extra, sub };
        },
      };
    },
    interactions: {
      url: (_ctx: KoaContext, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    // Refresh tokens for every client allowed the grant, with or without offline_access.
    issueRefreshToken: async (_ctx: KoaContext, client: ClientInstance) =>
      client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => options.rotateRefreshTokens,
    ttl: {
      AccessToken: options.accessTokenTtl,
      AuthorizationCode: 60,
      BackchannelAuthenticationRequest: 600,
      ClientCredentials: 600,
      DeviceCode: options.deviceCodeTtl,
      Grant: 14 * DAY,
      IdToken: options.idTokenTtl,
      Interaction: 60 * 60,
      PreAuthorizedCode: 600,
      RefreshToken: options.refreshTokenTtl,
      Session: 14 * DAY,
    },
    clientBasedCORS: (ctx: KoaContext, origin: string, client: ClientInstance) =>
      origin !== 'null' &&
      (ctx.oidc?.route === 'userinfo' || client.clientAuthMethod === 'none') &&
      client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin),
    async renderError(ctx: KoaContext, out: { error?: string; error_description?: string }) {
      renderPage(ctx, ctx.status, errorPage(out.error ?? 'server_error', out.error_description));
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      // Sends a logout token to clients with a backchannel_logout_uri when the user signs out.
      backchannelLogout: { enabled: true },
      revocation: {
        enabled: true,
        // A client revokes only its own tokens; another client's request is answered 200 and
        // changes nothing (RFC 7009 §2.2), so a logout using the wrong client shows up in tests.
        allowedPolicy: async (
          _ctx: KoaContext,
          client: ClientInstance,
          token: { clientId: string },
        ) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        // Confidential clients may introspect any token (tests use the web client for this).
        allowedPolicy: async (
          _ctx: KoaContext,
          client: ClientInstance,
          token: { clientId: string },
        ) => client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
      },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx: KoaContext, form: string) {
          renderPage(ctx, 200, logoutPage(form));
        },
        async postLogoutSuccessSource(ctx: KoaContext) {
          renderPage(ctx, 200, logoutSuccessPage());
        },
      },
      deviceFlow: {
        enabled: true,
        async userCodeInputSource(ctx: KoaContext, form: string, _out: unknown, error: unknown) {
          renderPage(
            ctx,
            ctx.status === 404 ? 200 : ctx.status,
            deviceInputPage(form, deviceError(error)),
          );
        },
        async userCodeConfirmSource(
          ctx: KoaContext,
          form: string,
          _client: ClientInstance,
          _deviceInfo: unknown,
          userCode: string,
        ) {
          renderPage(ctx, 200, deviceConfirmPage(form, clientDisplayName(ctx), userCode));
        },
        async successSource(ctx: KoaContext) {
          renderPage(ctx, 200, deviceSuccessPage(clientDisplayName(ctx)));
        },
      },
    },
  };
}
