/**
 * `authflow serve`: deploy mode on loopback, to try it — the `/auth` routes with the
 * profile's provider, plus a tiny page at `/`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { escapeHtml } from '../../../flow/html.js';
import { numberValue, parseCommandArgs } from '../../shared/args.js';
import type { CliContext } from '../../shared/context.js';
import { ExitCode, UsageError } from '../../shared/exit.js';
import type { DevProviderHandle } from '../../shared/kept-dev-provider.js';
import { openProfileStore } from '../../shared/profile-store.js';
import { readProfile, type SavedProviderSettings } from '../../shared/profiles-file.js';
import { buildProvider, checkedSettings } from '../../shared/provider-settings.js';
import { unreachableError } from '../../shared/reach.js';
import { untilStopped } from '../../shared/wait.js';

/** The text of `authflow serve --help`, with examples. */
export const help = `authflow serve — try deploy mode on loopback

Usage: authflow serve [--profile <name>] [--dev] [--port <port>]

Serves the deploy-mode routes (/auth/login, /auth/callback, /auth/refresh, /auth/logout,
/auth/userinfo, /auth/status) with the profile's provider, and a small page at "/" to sign
in and out, on 127.0.0.1 until Ctrl-C. Sessions live in memory and end with the process.
Register http://127.0.0.1:<port>/auth/callback as a redirect URI at the provider.

Options:
  -p, --profile <name>   Profile whose provider to use (default "default")
      --dev              Use the embedded development provider instead
      --port <port>      Port (default: a random free port)

Examples:
  authflow serve --dev
  authflow serve --profile work --port 3000`;

const OPTIONS = { dev: { type: 'boolean' }, port: { type: 'string' } } as const;

/**
 * Serves the deploy-mode routes on loopback until the user stops it (`context.onStop`), then
 * resolves 0.
 */
export async function run(args: string[], context: CliContext): Promise<number> {
  const { profile: name, values } = parseCommandArgs('serve', args, OPTIONS);
  const port = numberValue(values, 'port', 'serve', { min: 1, max: 65_535 });
  const stopped = untilStopped(context);
  let dev: DevProviderHandle | undefined;
  try {
    let provider: Awaited<ReturnType<typeof buildProvider>>;
    let settings: SavedProviderSettings | undefined;
    let isDev = values.dev === true;
    if (values.dev) {
      dev = await (await import('../../shared/kept-dev-provider.js')).devProviderForLogin(
        context.configDir,
      );
      settings = {
        provider: 'oidc',
        issuerUrl: dev.issuer,
        clientId: dev.clientId,
        scopes: ['openid', 'profile', 'email', 'offline_access'],
      };
      provider = await buildProvider(settings, undefined);
    } else {
      const profile = await readProfile(context.configDir, name);
      if (profile?.provider === undefined) {
        throw new UsageError(
          `Profile "${name}" has no provider settings yet. Run "authflow login --profile ${name}" first, or use --dev.`,
          'serve',
        );
      }
      settings = checkedSettings(name, profile.provider);
      isDev = profile.dev === true;
      let secret = context.env.AUTHFLOW_CLIENT_SECRET || undefined;
      if (!secret && profile.hasClientSecret && profile.store) {
        const store = await openProfileStore(context, profile.store, name);
        secret = await store.loadClientSecret().finally(() => store.close());
      }
      provider = await buildProvider(settings, secret);
    }
    // Check the provider now: a server that cannot reach it should say so at start, not at the first sign-in.
    const log = (line: string) => context.out.err(`authflow serve: ${line}`);
    try {
      await provider.supportsDeviceFlow?.();
    } catch (error) {
      const clear = settings
        ? await unreachableError(context.configDir, settings, error, { dev: isDev })
        : error;
      log(
        `warning: ${(clear as Error).message} Sign-ins fail until it can be reached (serving anyway).`,
      );
    }
    const [{ createAuthApp }, { serve }] = await Promise.all([
      import('../../../deploy/app.js'),
      import('../../../node/index.js'),
    ]);
    // The app needs its own URL (for the redirect URI), known only once listening.
    let app: ReturnType<typeof createAuthApp> | undefined;
    const running = await serve(
      {
        fetch: async (request, env) => {
          if (app === undefined) return new Response('Starting', { status: 503 });
          if (new URL(request.url).pathname === '/' && request.method === 'GET') {
            return homePage(await app.getSession(request).catch(() => null));
          }
          const response = await app.fetch(request, env);
          return isSignOutForm(request) && response.ok ? backHome(response) : response;
        },
      },
      { port },
    );
    app = createAuthApp({
      provider,
      secret: randomBytes(32).toString('base64url'),
      baseUrl: running.url,
      // authflow's errors carry no tokens, codes or cookies; the output layer strips escapes.
      onError: (error, { route }) => {
        const code = (error as { code?: unknown }).code;
        log(`${route}: ${(error as Error).message ?? String(error)}${code ? ` [${code}]` : ''}`);
      },
    });
    context.out.out(`Serving deploy mode at ${running.url}/ (Ctrl-C to stop)`);
    context.out.out(
      `  routes: ${running.url}/auth/login, /auth/callback, /auth/status, /auth/userinfo, /auth/refresh, /auth/logout`,
    );
    context.out.out(`  redirect URI to register at the provider: ${running.url}/auth/callback`);
    if (dev) {
      context.out.out(
        `  development provider: ${dev.issuer}${dev.inProcess ? ' (started here; it stops with this server)' : ''}`,
      );
    }
    await stopped;
    await running.close();
    await app.close();
    return ExitCode.OK;
  } finally {
    await dev?.close();
  }
}

/** The page's Sign out form (a navigation), as opposed to a script's `POST /auth/logout`. */
function isSignOutForm(request: Request): boolean {
  return (
    request.method === 'POST' &&
    new URL(request.url).pathname === '/auth/logout' &&
    request.headers.get('sec-fetch-dest') === 'document'
  );
}

/** Takes the browser back to the page after signing out, instead of showing the JSON answer. */
function backHome(response: Response): Response {
  const back = new Response(null, {
    status: 303,
    headers: { location: '/', 'cache-control': 'no-store' },
  });
  for (const cookie of response.headers.getSetCookie()) back.headers.append('set-cookie', cookie);
  return back;
}

function homePage(
  session: {
    userId: string;
    roles: string[];
    metadata: { userInfo?: Record<string, unknown> };
  } | null,
): Response {
  const info = session?.metadata.userInfo ?? {};
  const name = String(info.name ?? info.preferred_username ?? info.email ?? session?.userId ?? '');
  const body = session
    ? `<p>Signed in as <strong>${escapeHtml(name)}</strong> (roles: ${escapeHtml(session.roles.join(', '))}).</p>
<p><a href="/auth/userinfo">/auth/userinfo</a> · <a href="/auth/status">/auth/status</a></p>
<form method="post" action="/auth/logout"><button type="submit">Sign out</button></form>`
    : `<p>Not signed in.</p><p><a href="/auth/login">Sign in</a></p>`;
  return new Response(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>authflow serve</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}</style></head>
<body><h1>authflow deploy mode</h1>${body}</body></html>`,
    {
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      },
    },
  );
}
