/**
 * `startDevProvider()`: oidc-provider configured as a development OpenID provider on
 * loopback, with authflow's clients, pages, instrumentation and (optionally) on-disk state.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { allowAnyLoopbackRedirect, NATIVE_CLIENT_ID, WEB_CLIENT_ID } from './clients.js';
import { providerConfiguration, type ResolvedOptions } from './configuration.js';
import { Instrumentation } from './instrumentation.js';
import { interactionRoutes } from './interactions.js';
import { generateCookieKeys, generateSigningKeys } from './keys.js';
import { loadOidcProvider } from './load-oidc-provider.js';
import { withoutProviderNotices } from './quiet.js';
import { type DevKeys, fileAdapter, loadOrCreateKeys } from './state.js';
import type { DevProvider, DevProviderOptions, IntrospectionResult } from './types.js';

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(`startDevProvider: ${name} must be a positive whole number of seconds.`);
  }
  return value;
}

function resolveOptions(options: DevProviderOptions, keys: DevKeys | undefined): ResolvedOptions {
  return {
    cookieKeys: keys?.cookieKeys ?? generateCookieKeys(),
    adapter: options.stateDir === undefined ? undefined : fileAdapter(options.stateDir),
    autoConsent: options.autoConsent ?? false,
    claims: options.claims,
    extraClaimNames: options.extraClaimNames ?? [],
    rotateRefreshTokens: options.rotateRefreshTokens ?? true,
    accessTokenTtl: positiveInteger('accessTokenTtl', options.accessTokenTtl, 3600),
    idTokenTtl: positiveInteger('idTokenTtl', options.idTokenTtl, 3600),
    refreshTokenTtl: positiveInteger('refreshTokenTtl', options.refreshTokenTtl, 14 * 24 * 3600),
    deviceCodeTtl: positiveInteger('deviceCodeTtl', options.deviceCodeTtl, 600),
    devicePollInterval: positiveInteger('devicePollInterval', options.devicePollInterval, 1),
    webClientSecret:
      keys?.webClientSecret ?? options.webClientSecret ?? randomBytes(32).toString('base64url'),
    webClientBackchannelLogoutUri: options.webClientBackchannelLogoutUri,
    clients: options.clients ?? [],
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `Port ${port} on 127.0.0.1 is taken: choose another port, or 0 for a random one.`,
              { cause: error },
            )
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

// Errors are reported in one line (messages of oidc-provider's internal errors carry no
// tokens); stack traces only with DEBUG=oidc-provider:*, oidc-provider's own switch.
function reportError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`authflow dev provider: internal error: ${message}`);
}

async function introspect(
  issuer: string,
  path: string,
  clientId: string,
  secret: string,
  token: string,
): Promise<IntrospectionResult> {
  const credentials = Buffer.from(
    `${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`,
  ).toString('base64');
  const response = await fetch(new URL(path, issuer), {
    method: 'POST',
    headers: {
      authorization: `Basic ${credentials}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ token }),
  });
  if (!response.ok) {
    throw new Error(`The introspection endpoint answered HTTP ${response.status}.`);
  }
  return (await response.json()) as IntrospectionResult;
}

/**
 * Starts the embedded development OpenID provider on `127.0.0.1` (a random port unless
 * `options.port` is given), with ready clients, a login page that accepts any user name, a
 * consent page, refresh tokens, revocation, introspection, device flow and RP-initiated
 * logout. Signing keys are generated at start and kept in memory, and nothing is written to
 * disk, unless `options.stateDir` is given: then keys, grants, sessions and tokens are kept
 * there, and a provider restarted on the same port with the same `stateDir` is the same
 * provider (earlier tokens stay valid).
 *
 * For development and tests only: it trusts whoever types a user name and accepts any
 * loopback redirect URI. See docs/dev-provider.md.
 *
 * @example
 * ```ts
 * const dev = await startDevProvider();
 * console.log(dev.issuer, dev.clientId); // http://127.0.0.1:53127 authflow-native
 * await dev.close();
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628.html RFC 8628, device authorization grant}
 * @see {@link https://www.rfc-editor.org/rfc/rfc7009.html RFC 7009, revocation}
 * @see {@link https://www.rfc-editor.org/rfc/rfc7662.html RFC 7662, introspection}
 */
export async function startDevProvider(options: DevProviderOptions = {}): Promise<DevProvider> {
  if (options.webClientSecret !== undefined && options.webClientSecret.length < 16) {
    throw new TypeError('startDevProvider: webClientSecret must have at least 16 characters.');
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError('startDevProvider: port must be a whole number from 0 to 65535.');
  }
  const keys =
    options.stateDir === undefined
      ? undefined
      : await loadOrCreateKeys(options.stateDir, options.webClientSecret);
  const settings = resolveOptions(options, keys);
  const [{ default: Provider }, jwks] = await Promise.all([
    loadOidcProvider(),
    keys?.jwks ?? generateSigningKeys(),
  ]);

  const server = createServer();
  const boundPort = await listen(server, port);
  const issuer = `http://127.0.0.1:${boundPort}`;

  const provider = await withoutProviderNotices(
    () => new Provider(issuer, { ...providerConfiguration(settings), jwks }),
  );
  provider.proxy = false;
  if (!options.strictRedirectUris) allowAnyLoopbackRedirect(provider.Client.prototype);
  provider.on('server_error', (_ctx, error) => reportError(error));
  // A logout token the client refused or could not receive is worth a line, not silence.
  provider.on('backchannel.error', (_ctx, error) => reportError(error));
  // A Koa app with an 'error' listener does not print errors itself (e.g. client resets).
  provider.on('error', () => {});

  const instrumentation = new Instrumentation(
    {
      token: provider.pathFor('token'),
      userinfo: provider.pathFor('userinfo'),
      deviceAuthorization: provider.pathFor('device_authorization'),
    },
    settings.devicePollInterval,
  );
  provider.use(instrumentation.middleware());
  provider.use(
    interactionRoutes(provider, { autoConsent: settings.autoConsent, onError: reportError }),
  );
  server.on('request', provider.callback());

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      instrumentation.releaseHanging();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };

  return {
    issuer,
    port: boundPort,
    clientId: NATIVE_CLIENT_ID,
    webClientId: WEB_CLIENT_ID,
    webClientSecret: settings.webClientSecret,
    deviceVerificationUrl: provider.urlFor('code_verification'),
    tokenRequests: instrumentation.counters,
    resetCounters: () => instrumentation.reset(),
    setFault: (fault) => instrumentation.setFault(fault),
    introspect: (token) =>
      introspect(
        issuer,
        provider.pathFor('introspection'),
        WEB_CLIENT_ID,
        settings.webClientSecret,
        token,
      ),
    close,
  };
}
