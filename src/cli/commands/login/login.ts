/**
 * `authflow login`: native sign-in (system browser, dedicated window, device flow, or
 * the embedded development provider), saving the profile's settings and tokens.
 *
 * @module
 */
import { AuthFlowCancelled, AuthFlowTimeout, ErrorCodes } from '../../../errors.js';
import { readAuthflowEnv } from '../../../providers/settings.js';
import type { OAuthProvider, UserInfo } from '../../../providers/types.js';
import { userIdFromUserInfo } from '../../../providers/types.js';
import type { OAuthTokenSet } from '../../../tokens/token-set.js';
import { accountRecord, displayAccount } from '../../shared/accounts.js';
import { numberValue, parseCommandArgs, stringValue } from '../../shared/args.js';
import type { CliContext } from '../../shared/context.js';
import { CliError, ExitCode, UsageError } from '../../shared/exit.js';
import type { DevProviderHandle } from '../../shared/kept-dev-provider.js';
import { openProfileStore, type ProfileStore } from '../../shared/profile-store.js';
import { type ProfileRecord, readProfile, type StoreKind } from '../../shared/profiles-file.js';
import {
  buildProvider,
  type ProviderFlags,
  resolveSettings,
  sameProvider,
} from '../../shared/provider-settings.js';
import { isUnreachable, unreachableError } from '../../shared/reach.js';
import { updateProfile } from '../../shared/update-profiles.js';
import { canOpenBrowser } from './browser.js';
import { formatDuration, type Spinner, startSpinner } from './spinner.js';

/** The text of `authflow login --help`, with examples. */
export const help = `authflow login — sign in and remember the profile

Usage: authflow login [provider settings] [options]

Provider settings (flags, else AUTHFLOW_* environment variables, else the profile's saved ones):
      --provider <name>        google, github, microsoft, oidc or oauth2
      --client-id <id>         Client id of the app registered at the provider
      --client-secret-stdin    Read the client secret (when the provider requires one) from
                               standard input, or from a hidden prompt on a terminal. Saved in
                               the token store, never in profiles.json. AUTHFLOW_CLIENT_SECRET
                               is read each time and never saved. (--client-secret <secret>
                               works too, but shows the secret to other local users.)
      --issuer <url>           Issuer URL (oidc)
      --scopes <list>          Scopes, space or comma separated
      --tenant <id>            Microsoft tenant (default "common")
      --authorize-url <url>    Authorization endpoint (oauth2)
      --token-url <url>        Token endpoint (oauth2)
      --dev                    Use the embedded development provider (no credentials needed):
                               a running "authflow dev-provider", else started for this
                               sign-in. The same provider every time (keys, tokens and port
                               kept in the config dir), so its tokens stay valid

How to sign in (default: open the system browser and print the URL):
      --no-browser             Only print the URL
      --window                 Use a dedicated Chromium/Chrome/Edge app window
      --device                 Device flow: enter a code on another device (picked by itself
                               when no browser can be opened here and the provider supports it)
      --timeout <seconds>      Give up after this long (default 120, AUTHFLOW_AUTH_TIMEOUT_SECONDS)
      --port <port[,port...]>  Loopback port(s) to listen on (default: a random free port)

Options:
      --store <kind>           keyring (default), file or memory. Without a usable keychain,
                               falls back to a 0600 file and remembers that choice
  -p, --profile <name>         Profile (default "default")
      --json                   Print {"profile","userId","name","email","store",...} on success
      --verbose                Say more when something fails (e.g. why the keychain is unusable)

The provider is reached and the token store read before anything opens or is saved: an
unreachable provider or a corrupt token file is reported first. Ctrl-C cancels (exit 4); a
timeout exits 3.

Examples:
  authflow login --dev
  authflow login --dev --no-browser
  authflow login --provider google --client-id ID.apps.googleusercontent.com --client-secret-stdin
  authflow login --provider github --client-id Iv1.abc --device
  authflow login --provider microsoft --client-id APP_ID --tenant common --profile work
  authflow login --provider oidc --issuer https://id.example.com --client-id cli --scopes "openid email offline_access"
  authflow login --profile work          # again, with the settings saved last time`;

const OPTIONS = {
  provider: { type: 'string' },
  issuer: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'client-secret-stdin': { type: 'boolean' },
  scopes: { type: 'string' },
  tenant: { type: 'string' },
  'authorize-url': { type: 'string' },
  'token-url': { type: 'string' },
  dev: { type: 'boolean' },
  store: { type: 'string' },
  verbose: { type: 'boolean' },
  'no-browser': { type: 'boolean' },
  window: { type: 'boolean' },
  device: { type: 'boolean' },
  timeout: { type: 'string' },
  port: { type: 'string' },
} as const;

const STORE_KINDS: readonly StoreKind[] = ['keyring', 'file', 'memory'];

function parsePorts(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const ports = value.split(',').map((part) => Number(part.trim()));
  if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new UsageError(
      `--port must be a port number or a comma-separated list of them, not "${value}".`,
      'login',
    );
  }
  return ports;
}

/**
 * Signs in and saves the profile's settings and tokens. Resolves 0; rejects with a `CliError` or
 * `UsageError` that `runCli` turns into one line and its exit code (2 usage, 3 timed out, 4
 * cancelled through `context.onStop`).
 */
export async function run(args: string[], context: CliContext): Promise<number> {
  const { profile: name, values } = parseCommandArgs('login', args, OPTIONS);
  const { out, env, configDir } = context;
  const flags: ProviderFlags = {
    provider: stringValue(values, 'provider'),
    issuer: stringValue(values, 'issuer'),
    clientId: stringValue(values, 'client-id'),
    clientSecret: stringValue(values, 'client-secret'),
    scopes: stringValue(values, 'scopes'),
    tenant: stringValue(values, 'tenant'),
    authorizeUrl: stringValue(values, 'authorize-url'),
    tokenUrl: stringValue(values, 'token-url'),
  };
  const requestedStore = stringValue(values, 'store');
  if (requestedStore !== undefined && !STORE_KINDS.includes(requestedStore as StoreKind)) {
    throw new UsageError(
      `--store must be one of ${STORE_KINDS.join(', ')}, not "${requestedStore}".`,
      'login',
    );
  }
  if (values.dev && Object.values(flags).some((v) => v !== undefined)) {
    throw new UsageError(
      '--dev sets the provider itself: drop --provider, --issuer, --client-id and the other provider flags.',
      'login',
    );
  }
  if (values['client-secret-stdin']) {
    if (flags.clientSecret !== undefined || values.dev) {
      throw new UsageError(
        `--client-secret-stdin goes without ${values.dev ? '--dev' : '--client-secret'}.`,
        'login',
      );
    }
    flags.clientSecret = await (await import('./secret-input.js')).readClientSecret(context.stdin);
  }
  const methods = ['no-browser', 'window', 'device'].filter((flag) => values[flag]);
  if (methods.length > 1) {
    throw new UsageError(`Choose one of --${methods.join(', --')}.`, 'login');
  }
  const timeout =
    numberValue(values, 'timeout', 'login', { min: 1, max: 86_400 }) ??
    readAuthflowEnv(env).authTimeout;
  const ports = parsePorts(stringValue(values, 'port'));

  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    // A second Ctrl-C leaves at once, whatever is still running.
    if (interrupts > 1) process.exit(ExitCode.CANCELLED);
    abort.abort(new AuthFlowCancelled('Sign-in cancelled.'));
  };
  const stopListening = context.onStop(onSignal);

  let dev: DevProviderHandle | undefined;
  let store: ProfileStore | undefined;
  let settings: Awaited<ReturnType<typeof resolveSettings>>['settings'] | undefined;
  let appWindowFailure: (() => string | undefined) | undefined;
  try {
    const existing = await readProfile(configDir, name);
    // A profile made with --dev signs in the same way again, unless told otherwise.
    const useDev =
      values.dev === true ||
      (existing?.dev === true &&
        Object.values(flags).every((v) => v === undefined) &&
        !env.AUTHFLOW_PROVIDER &&
        !env.AUTHFLOW_ISSUER_URL);
    if (useDev) {
      const { devProviderForLogin } = await import('../../shared/kept-dev-provider.js');
      dev = await devProviderForLogin(configDir);
      flags.provider = 'oidc';
      flags.issuer = dev.issuer;
      flags.clientId = dev.clientId;
      flags.scopes = 'openid profile email offline_access';
      if (dev.inProcess) {
        const { commandName } = await import('../../shared/command-name.js');
        out.err(
          `Started the development provider at ${dev.issuer} for this sign-in. It stops when this command ends; your tokens stay valid. To refresh them later, keep it running in another terminal: ${commandName()} dev-provider`,
        );
      }
    }
    const savedSecret = await loadSavedSecret(context, name, existing);
    const resolved = await resolveSettings(flags, env, existing?.provider, savedSecret);
    settings = resolved.settings;
    const provider = await buildProvider(resolved.settings, resolved.clientSecret);
    // Reach the provider before anything else: no store, browser or file is touched when it is down.
    await provider.supportsDeviceFlow?.();
    const chosen = await chooseStore(
      context,
      name,
      requestedStore as StoreKind | undefined,
      existing,
      values.verbose === true,
    );
    store = chosen.store;
    // A token file that cannot be read is found now, not after the user has signed in.
    if (store.kind === 'file') {
      await store.store.listKeys().catch((error: unknown) => {
        throw unreadableStore(error, name);
      });
    }

    let method: 'browser' | 'no-browser' | 'window' | 'device' = values.device
      ? 'device'
      : values.window
        ? 'window'
        : values['no-browser']
          ? 'no-browser'
          : 'browser';
    if (method === 'browser' && !canOpenBrowser(env)) {
      if (await supportsDevice(provider)) {
        out.err(
          'No browser can be opened here (no display, or an SSH session): using the device flow.',
        );
        method = 'device';
      } else {
        out.err(
          'No browser can be opened here (no display, or an SSH session): open the URL below on this machine.',
        );
        method = 'no-browser';
      }
    }
    if (method === 'device' && !(await supportsDevice(provider))) {
      throw new CliError(
        `The ${provider.name} provider (or its metadata) does not offer the device flow. Sign in with the browser instead (drop --device), or enable the device flow for your app at the provider.`,
        ExitCode.USAGE,
      );
    }

    const result =
      method === 'device'
        ? await (await import('./device.js')).runDeviceFlow({
            provider,
            store: store.store,
            out,
            signal: abort.signal,
            timeoutSeconds: values.timeout === undefined ? undefined : timeout,
          })
        : await runLoopback(context, {
            provider,
            store,
            method,
            timeout,
            ports,
            usePkce: resolved.settings.usePkce ?? true,
            signal: abort.signal,
            onWindow: (failure) => {
              appWindowFailure = failure;
            },
          });

    const userId = userIdFromUserInfo(result.userInfo);
    const account = accountRecord(userId, result.userInfo, Math.floor(context.now() / 1000));
    await forgetReplacedAccounts(context, name, existing, resolved.settings, store.kind, userId);
    if (
      resolved.secretSource === 'flag' ||
      (resolved.secretSource === 'store' && existing?.store !== store.kind)
    ) {
      await store.saveClientSecret(resolved.clientSecret as string);
    }
    await updateProfile(configDir, name, (profile) => {
      const keep =
        sameProvider(profile.provider, resolved.settings) && profile.store === store?.kind;
      const accounts = keep ? (profile.accounts ?? []).filter((a) => a.userId !== userId) : [];
      profile.provider = resolved.settings;
      profile.store = store?.kind;
      if (chosen.fallbackReason) profile.storeFallbackReason = chosen.fallbackReason;
      else delete profile.storeFallbackReason;
      profile.hasClientSecret =
        resolved.secretSource === 'flag' ||
        resolved.secretSource === 'store' ||
        (keep && profile.hasClientSecret === true);
      if (useDev) profile.dev = true;
      else delete profile.dev;
      profile.accounts = [...accounts, account];
      profile.activeAccount = userId;
    });
    report(context, name, account, store, result.tokens, values.json === true);
    return ExitCode.OK;
  } catch (error) {
    const windowFailure = appWindowFailure?.();
    if (windowFailure !== undefined && !abort.signal.aborted) {
      throw new CliError(
        `The sign-in window could not be opened: ${windowFailure}. Sign in with the system browser instead (drop --window), or use --no-browser (prints the URL) or --device.`,
        ExitCode.FAILURE,
      );
    }
    if (isUnreachable(error) && settings !== undefined && !abort.signal.aborted) {
      const clear = await unreachableError(configDir, settings, error, {
        dev: dev !== undefined,
      });
      if (clear instanceof Error) clear.message += ' Nothing was saved.';
      throw clear;
    }
    throw loginError(error, timeout, abort.signal.aborted);
  } finally {
    stopListening();
    store?.close();
    await dev?.close();
  }
}

async function supportsDevice(provider: OAuthProvider): Promise<boolean> {
  if (provider.startDeviceAuthorization === undefined) return false;
  return (await provider.supportsDeviceFlow?.().catch(() => false)) ?? true;
}

async function loadSavedSecret(
  context: CliContext,
  name: string,
  existing: ProfileRecord | undefined,
): Promise<string | undefined> {
  if (!existing?.hasClientSecret || existing.store === undefined) return undefined;
  const old = await openProfileStore(context, existing.store, name);
  try {
    return await old.loadClientSecret();
  } catch {
    return undefined;
  } finally {
    old.close();
  }
}

/** The profile's store: as asked, else as remembered, else the keychain — or a file when the keychain is unusable. */
async function chooseStore(
  context: CliContext,
  name: string,
  requested: StoreKind | undefined,
  existing: ProfileRecord | undefined,
  verbose: boolean,
): Promise<{ store: ProfileStore; fallbackReason?: string }> {
  const kind = requested ?? existing?.store ?? 'keyring';
  const store = await openProfileStore(context, kind, name);
  const problem = await store.probe?.();
  if (problem === undefined) return { store };
  store.close();
  if (requested === 'keyring') {
    throw new CliError(`The OS keychain is not usable here: ${problem}`, ExitCode.FAILURE);
  }
  const file = await openProfileStore(context, 'file', name);
  const reason = problem.split('\n')[0]?.slice(0, 160) ?? problem;
  context.out.err(
    `authflow: warning: the OS keychain is not available here; tokens go to ${file.location} (mode 0600) instead.${verbose ? '' : ' (--verbose says why)'}`,
  );
  if (verbose) context.out.err(`  keychain: ${problem}`);
  return { store: file, fallbackReason: reason };
}

/** The error for a store that cannot be read before signing in (a corrupt token file...). */
function unreadableStore(error: unknown, name: string): unknown {
  const message = (error as Error | undefined)?.message;
  if (typeof message !== 'string' || !/corrupt/.test(message)) return error;
  const flag = name === 'default' ? '' : ` --profile ${name}`;
  return new CliError(
    `${message.replace(/ Delete it.*$/, '')} Nothing was changed. To clear it, run: authflow logout${flag} — then sign in again.`,
    ExitCode.FAILURE,
  );
}

interface LoopbackRun {
  provider: OAuthProvider;
  store: ProfileStore;
  method: 'browser' | 'no-browser' | 'window';
  timeout: number;
  ports: number[] | undefined;
  usePkce: boolean;
  signal: AbortSignal;
  /** Given a way to ask why the dedicated window failed, if it did. */
  onWindow?: (failure: () => string | undefined) => void;
}

async function runLoopback(
  context: CliContext,
  run: LoopbackRun,
): Promise<{ tokens: OAuthTokenSet; userInfo: UserInfo }> {
  const { out } = context;
  const [{ AuthFlowManager }, { systemBrowserWindow }] = await Promise.all([
    import('../../../flow/auth-flow-manager.js'),
    import('../../../flow/windows.js'),
  ]);
  const manager = new AuthFlowManager({
    provider: run.provider,
    tokenStore: run.store.store,
    usePkce: run.usePkce,
    authTimeout: run.timeout,
    loopback: run.ports ? { ports: run.ports } : undefined,
  });
  const started = Date.now();
  const browser = systemBrowserWindow({
    printOnly: run.method !== 'browser',
    print: (line) => out.err(line),
  });
  const appWindow =
    run.method === 'window'
      ? (await import('../../../flow/chromium-window.js')).chromiumAppWindow()
      : undefined;
  if (appWindow) run.onWindow?.(() => appWindow.launchFailure());
  let spinner: Spinner | undefined;
  const result = await manager.runNative({
    signal: run.signal,
    showWindow: async (url, config, windowContext) => {
      let label: string | undefined;
      if (appWindow) {
        label = (await appWindow.showWindow(url, config, windowContext)) ?? undefined;
        out.err(
          `Opened a sign-in window. If it does not show, open this URL in a browser:\n${url}`,
        );
      } else {
        label = (await browser(url, config, windowContext)) ?? undefined;
      }
      spinner = startSpinner(
        out,
        () =>
          `Waiting for you to sign in… ${formatDuration(run.timeout - (Date.now() - started) / 1000)} left (Ctrl-C to cancel)`,
      );
      return label;
    },
    closeWindow: async (label) => {
      spinner?.stop();
      await appWindow?.closeWindow(label);
    },
  });
  spinner?.stop();
  if (!result.tokens || !result.userInfo) {
    throw new CliError(result.error ?? 'Sign-in failed. Try again.', ExitCode.FAILURE);
  }
  return { tokens: result.tokens, userInfo: result.userInfo };
}

/** When the profile now signs in elsewhere (other provider, app or store), its old accounts' tokens go. */
async function forgetReplacedAccounts(
  context: CliContext,
  name: string,
  existing: ProfileRecord | undefined,
  settings: Parameters<typeof sameProvider>[1],
  kind: StoreKind,
  newUserId: string,
): Promise<void> {
  if (existing?.store === undefined || !existing.accounts?.length) return;
  if (sameProvider(existing.provider, settings) && existing.store === kind) return;
  const old = await openProfileStore(context, existing.store, name);
  try {
    for (const account of existing.accounts) {
      if (existing.store === kind && account.userId === newUserId) continue;
      await old.store.delete(account.userId).catch(() => false);
    }
  } finally {
    old.close();
  }
  context.out.err(
    `Profile "${name}" now signs in with different settings: its previous sign-in was deleted locally (not revoked).`,
  );
}

function report(
  context: CliContext,
  name: string,
  account: ReturnType<typeof accountRecord>,
  store: ProfileStore,
  tokens: OAuthTokenSet,
  json: boolean,
): void {
  if (json) {
    context.out.json({
      profile: name,
      userId: account.userId,
      name: account.name ?? null,
      email: account.email ?? null,
      store: store.kind,
      storeLocation: store.location,
      expiresAt: tokens.expiresAt ?? null,
      scopes: tokens.scope?.split(' ').filter(Boolean) ?? [],
    });
    return;
  }
  context.out.out(`Signed in as ${displayAccount(account)} (profile ${name})`);
  if (store.kind === 'memory') {
    context.out.err('Tokens were kept in memory only (--store memory): nothing was saved.');
  }
}

function loginError(error: unknown, timeout: number, interrupted: boolean): unknown {
  // Ctrl-C wins over whatever error it caused in the step it interrupted.
  if (interrupted) return new CliError('Sign-in cancelled.', ExitCode.CANCELLED);
  if (error instanceof AuthFlowTimeout) {
    return new CliError(
      `Sign-in timed out after ${error.timeout ?? timeout} s. Run authflow login again (--timeout <seconds> allows more time).`,
      ExitCode.TIMEOUT,
    );
  }
  if (error instanceof AuthFlowCancelled) return new CliError(error.message, ExitCode.CANCELLED);
  if ((error as { code?: unknown })?.code === ErrorCodes.PORT_IN_USE) {
    return new CliError((error as Error).message, ExitCode.USAGE);
  }
  return error;
}
