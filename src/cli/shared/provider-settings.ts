/**
 * Provider settings for the CLI: from flags, else `AUTHFLOW_*` environment variables,
 * else what the profile saved at its last `login`, and the provider built from them. The
 * provider library (`src/providers`, openid-client) is imported lazily, only when a command
 * needs a provider. (Named for the settings, not
 * `provider`, which would read as the `src/providers` folder.)
 *
 * @module
 */

import type { ProviderKind } from '../../providers/create.js';
import { readAuthflowEnv } from '../../providers/settings.js';
import type { OAuthProvider } from '../../providers/types.js';
import type { CliContext } from './context.js';
import { UsageError } from './exit.js';
import type { OpenedProfile } from './open-profile.js';
import type { SavedProviderSettings } from './profiles-file.js';

/** Provider settings given on the command line. */
export interface ProviderFlags {
  /** `--provider`: `google`, `github`, `microsoft`, `oidc` or `oauth2`. */
  provider?: string;
  /** `--issuer`: the issuer URL (oidc). */
  issuer?: string;
  /** `--client-id`. */
  clientId?: string;
  /** `--client-secret`, or what `--client-secret-stdin` read. */
  clientSecret?: string;
  /** `--scopes`: space- or comma-separated, as given. */
  scopes?: string;
  /** `--tenant`: the Microsoft tenant. */
  tenant?: string;
  /** `--authorize-url` (oauth2). */
  authorizeUrl?: string;
  /** `--token-url` (oauth2). */
  tokenUrl?: string;
}

/** Settings resolved for a login. */
export interface ResolvedSettings {
  /** What to save in the profile (never the secret). */
  settings: SavedProviderSettings;
  /** The client secret, when there is one. */
  clientSecret?: string;
  /** Where the secret came from: only a `--client-secret` flag is saved in the store. */
  secretSource?: 'flag' | 'env' | 'store';
}

function fromEnv(env: NodeJS.ProcessEnv): ProviderFlags & { usePkce?: boolean } {
  const usePkce = env.AUTHFLOW_USE_PKCE?.trim() ? readAuthflowEnv(env).usePkce : undefined;
  return {
    provider: env.AUTHFLOW_PROVIDER || undefined,
    issuer: env.AUTHFLOW_ISSUER_URL || undefined,
    clientId: env.AUTHFLOW_CLIENT_ID || undefined,
    clientSecret: env.AUTHFLOW_CLIENT_SECRET || undefined,
    scopes: env.AUTHFLOW_SCOPES || undefined,
    tenant: env.AUTHFLOW_TENANT_ID || undefined,
    authorizeUrl: env.AUTHFLOW_AUTHORIZE_URL || undefined,
    tokenUrl: env.AUTHFLOW_TOKEN_URL || undefined,
    usePkce,
  };
}

const pick = <T>(...values: (T | undefined)[]): T | undefined =>
  values.find((v) => v !== undefined);

/**
 * Merges flags over environment over the saved profile, setting by setting (scopes split by
 * `parseScopes` of `src/providers/create.ts`, as `AUTHFLOW_SCOPES` is everywhere). The saved
 * settings are ignored when the flags or environment name another provider or issuer
 * (they would not belong together). Rejects with a usage error naming what is missing.
 */
export async function resolveSettings(
  flags: ProviderFlags,
  env: NodeJS.ProcessEnv,
  saved: SavedProviderSettings | undefined,
  savedSecret: string | undefined,
): Promise<ResolvedSettings> {
  // The provider library (openid-client) is loaded only once a command needs a provider.
  const { PROVIDER_KINDS, parseScopes } = await import('../../providers/create.js');
  const fromEnvironment = fromEnv(env);
  const kind = pick(flags.provider, fromEnvironment.provider);
  const issuer = pick(flags.issuer, fromEnvironment.issuer);
  const base =
    saved !== undefined &&
    (kind === undefined || kind === saved.provider) &&
    (issuer === undefined || issuer === saved.issuerUrl)
      ? saved
      : undefined;
  const provider = pick(kind, base?.provider);
  if (provider === undefined) {
    throw new UsageError(
      `No provider given. Pass --provider (${PROVIDER_KINDS.join(', ')}) and --client-id, set AUTHFLOW_PROVIDER and AUTHFLOW_CLIENT_ID, or try: authflow login --dev`,
      'login',
    );
  }
  if (!(PROVIDER_KINDS as readonly string[]).includes(provider)) {
    throw new UsageError(
      `Unknown provider "${provider}". Use one of: ${PROVIDER_KINDS.join(', ')}.`,
      'login',
    );
  }
  const settings: SavedProviderSettings = {
    provider,
    clientId: pick(flags.clientId, fromEnvironment.clientId, base?.clientId) ?? '',
    issuerUrl: pick(issuer, base?.issuerUrl),
    scopes: pick(parseScopes(flags.scopes), parseScopes(fromEnvironment.scopes), base?.scopes),
    tenantId: pick(flags.tenant, fromEnvironment.tenant, base?.tenantId),
    authorizeUrl: pick(flags.authorizeUrl, fromEnvironment.authorizeUrl, base?.authorizeUrl),
    tokenUrl: pick(flags.tokenUrl, fromEnvironment.tokenUrl, base?.tokenUrl),
    usePkce: pick(fromEnvironment.usePkce, base?.usePkce),
  };
  for (const key of Object.keys(settings) as (keyof SavedProviderSettings)[]) {
    if (settings[key] === undefined) delete settings[key];
  }
  if (!settings.clientId) {
    throw new UsageError(
      `No client id for the ${provider} provider. Pass --client-id or set AUTHFLOW_CLIENT_ID (register an app at the provider first; see docs/cli.md).`,
      'login',
    );
  }
  if (provider === 'oidc' && !settings.issuerUrl) {
    throw new UsageError('The oidc provider needs --issuer (or AUTHFLOW_ISSUER_URL).', 'login');
  }
  if (provider === 'oauth2' && (!settings.authorizeUrl || !settings.tokenUrl)) {
    throw new UsageError(
      'The oauth2 provider needs --authorize-url and --token-url (or AUTHFLOW_AUTHORIZE_URL and AUTHFLOW_TOKEN_URL).',
      'login',
    );
  }
  if (flags.clientSecret !== undefined) {
    return { settings, clientSecret: flags.clientSecret, secretSource: 'flag' };
  }
  if (fromEnvironment.clientSecret !== undefined) {
    return { settings, clientSecret: fromEnvironment.clientSecret, secretSource: 'env' };
  }
  if (base !== undefined && savedSecret !== undefined) {
    return { settings, clientSecret: savedSecret, secretSource: 'store' };
  }
  return { settings };
}

/** Whether two settings name the same provider, app and issuer (same accounts). */
export function sameProvider(
  a: SavedProviderSettings | undefined,
  b: SavedProviderSettings,
): boolean {
  return (
    a !== undefined &&
    a.provider === b.provider &&
    a.clientId === b.clientId &&
    (a.issuerUrl ?? '') === (b.issuerUrl ?? '') &&
    (a.tenantId ?? '') === (b.tenantId ?? '')
  );
}

/**
 * A profile's saved settings, checked: a hand-edited `profiles.json` without a provider or
 * client id gets a usage error saying how to fix it, not a failure deep in the provider.
 */
export function checkedSettings(
  name: string,
  settings: SavedProviderSettings | undefined,
): SavedProviderSettings {
  const flag = name === 'default' ? '' : ` --profile ${name}`;
  if (settings === undefined || typeof settings.provider !== 'string') {
    throw new UsageError(
      `Profile "${name}" has no provider settings. Run: authflow login${flag} --provider <name> --client-id <id>`,
    );
  }
  if (typeof settings.clientId !== 'string' || settings.clientId === '') {
    throw new UsageError(
      `Profile "${name}" has no client id in profiles.json (was the file edited?). Run: authflow login${flag} --client-id <id>`,
    );
  }
  return settings;
}

/** Creates the provider from settings (lazy import of the provider library). */
export async function buildProvider(
  settings: SavedProviderSettings,
  clientSecret: string | undefined,
): Promise<OAuthProvider> {
  const { createProvider } = await import('../../providers/index.js');
  return createProvider({
    provider: settings.provider as ProviderKind,
    clientId: settings.clientId,
    clientSecret,
    issuerUrl: settings.issuerUrl,
    scopes: settings.scopes,
    tenantId: settings.tenantId,
    authorizeUrl: settings.authorizeUrl,
    tokenUrl: settings.tokenUrl,
  });
}

/**
 * The provider of a signed-in profile: its saved settings, with the client secret from
 * `AUTHFLOW_CLIENT_SECRET` or else the one saved beside its tokens.
 */
export async function createProfileProvider(
  context: CliContext,
  opened: OpenedProfile,
): Promise<OAuthProvider> {
  const settings = checkedSettings(opened.name, opened.profile.provider);
  const secret =
    context.env.AUTHFLOW_CLIENT_SECRET ||
    (opened.profile.hasClientSecret ? await opened.store.loadClientSecret() : undefined);
  return buildProvider(settings, secret);
}
