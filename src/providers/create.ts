/**
 * Builds a provider from a settings object or from `AUTHFLOW_*` environment variables.
 *
 * @module
 */
import { ConfigurationError } from '../errors.js';
import { GitHubProvider } from './github.js';
import { GoogleProvider } from './google.js';
import { MicrosoftProvider } from './microsoft.js';
import { OAuth2Provider } from './oauth2.js';
import { GenericOIDCProvider } from './oidc.js';
import { type Environment, readString } from './settings.js';
import type { OAuthProvider } from './types.js';

/** The provider kinds {@link createProvider} knows. */
export const PROVIDER_KINDS = ['google', 'github', 'microsoft', 'oidc', 'oauth2'] as const;

/** One of {@link PROVIDER_KINDS}. */
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** Settings of {@link createProvider}; each field matches an `AUTHFLOW_*` variable. */
export interface ProviderSettings {
  /** `AUTHFLOW_PROVIDER`: which provider. */
  provider: ProviderKind;
  /** `AUTHFLOW_CLIENT_ID`: the client id registered at the provider. */
  clientId: string;
  /** `AUTHFLOW_CLIENT_SECRET`: the client secret, if the client has one. */
  clientSecret?: string;
  /** `AUTHFLOW_SCOPES` (space- or comma-separated): scopes, instead of the provider's default. */
  scopes?: readonly string[] | string;
  /** `AUTHFLOW_ISSUER_URL`: issuer (required for `oidc`). */
  issuerUrl?: string;
  /** `AUTHFLOW_TENANT_ID`: Microsoft tenant. Default `common`. */
  tenantId?: string;
  /** `AUTHFLOW_AUTHORIZE_URL`: authorization endpoint (required for `oauth2`; overrides discovery for `oidc`). */
  authorizeUrl?: string;
  /** `AUTHFLOW_TOKEN_URL`: token endpoint (required for `oauth2`; overrides discovery for `oidc`). */
  tokenUrl?: string;
  /** UserInfo endpoint (`oidc`, `oauth2`). */
  userinfoUrl?: string;
  /** Revocation endpoint (`oidc`, `oauth2`). */
  revocationUrl?: string;
  /** Request deadline in seconds. Default `30`. */
  timeoutSeconds?: number;
}

const ENV = {
  provider: 'AUTHFLOW_PROVIDER',
  clientId: 'AUTHFLOW_CLIENT_ID',
  clientSecret: 'AUTHFLOW_CLIENT_SECRET',
  scopes: 'AUTHFLOW_SCOPES',
  issuerUrl: 'AUTHFLOW_ISSUER_URL',
  tenantId: 'AUTHFLOW_TENANT_ID',
  authorizeUrl: 'AUTHFLOW_AUTHORIZE_URL',
  tokenUrl: 'AUTHFLOW_TOKEN_URL',
} as const;

type Setting = keyof typeof ENV;

/**
 * Reads provider settings from `AUTHFLOW_PROVIDER`, `AUTHFLOW_CLIENT_ID`,
 * `AUTHFLOW_CLIENT_SECRET`, `AUTHFLOW_SCOPES`, `AUTHFLOW_ISSUER_URL`, `AUTHFLOW_TENANT_ID`,
 * `AUTHFLOW_AUTHORIZE_URL` and `AUTHFLOW_TOKEN_URL`.
 *
 * @throws ConfigurationError naming the variable when one is missing or invalid.
 */
export function providerSettingsFromEnv(env: Environment = process.env): ProviderSettings {
  const settings: Record<string, string> = {};
  for (const [key, name] of Object.entries(ENV)) {
    const value = readString(env, name);
    if (value !== undefined) settings[key] = value;
  }
  return validate(settings as Partial<Record<Setting, string>>, (key) => ENV[key]);
}

/**
 * Creates the provider described by `settings`, or, without settings, by the `AUTHFLOW_*`
 * environment variables (see {@link providerSettingsFromEnv}).
 *
 * @example
 * ```ts
 * const provider = createProvider({ provider: 'github', clientId: 'Iv1.abc', clientSecret });
 * const fromEnv = createProvider(); // AUTHFLOW_PROVIDER=google AUTHFLOW_CLIENT_ID=...
 * ```
 * @throws ConfigurationError naming the missing or invalid setting (or variable) and the valid values.
 */
export function createProvider(
  settings?: ProviderSettings,
  env: Environment = process.env,
): OAuthProvider {
  const resolved =
    settings === undefined
      ? providerSettingsFromEnv(env)
      : validate(
          settings as unknown as Partial<Record<Setting, unknown>>,
          (key) => `settings.${key}`,
        );
  const scopes = parseScopes(resolved.scopes);
  const common = {
    clientId: resolved.clientId,
    clientSecret: resolved.clientSecret,
    ...(scopes === undefined ? {} : { scopes }),
    ...(resolved.timeoutSeconds === undefined ? {} : { timeoutSeconds: resolved.timeoutSeconds }),
  };
  switch (resolved.provider) {
    case 'google':
      return new GoogleProvider(common);
    case 'github':
      return new GitHubProvider(common);
    case 'microsoft':
      return new MicrosoftProvider({ ...common, tenantId: resolved.tenantId });
    case 'oidc':
      return new GenericOIDCProvider({
        ...common,
        issuerUrl: resolved.issuerUrl as string,
        authorizeUrl: resolved.authorizeUrl,
        tokenUrl: resolved.tokenUrl,
        userinfoUrl: resolved.userinfoUrl,
        revocationUrl: resolved.revocationUrl,
      });
    case 'oauth2':
      return new OAuth2Provider({
        ...common,
        authorizeUrl: resolved.authorizeUrl as string,
        tokenUrl: resolved.tokenUrl as string,
        userinfoUrl: resolved.userinfoUrl,
        revocationUrl: resolved.revocationUrl,
      });
  }
}

/** Splits `AUTHFLOW_SCOPES`-style text on spaces and commas. */
export function parseScopes(value: readonly string[] | string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? value.split(/[\s,]+/) : [...value];
  const scopes = list.map((scope) => scope.trim()).filter(Boolean);
  return scopes.length === 0 ? undefined : scopes;
}

function validate(
  input: Partial<Record<Setting, unknown>> & Record<string, unknown>,
  nameOf: (key: Setting) => string,
): ProviderSettings {
  const provider = input.provider;
  if (provider === undefined || provider === '') {
    throw new ConfigurationError(
      `${nameOf('provider')} is not set. Set it to one of: ${PROVIDER_KINDS.join(', ')}.`,
    );
  }
  if (typeof provider !== 'string' || !(PROVIDER_KINDS as readonly string[]).includes(provider)) {
    throw new ConfigurationError(
      `${nameOf('provider')} is not a known provider. Valid values: ${PROVIDER_KINDS.join(', ')}.`,
    );
  }
  const required: Setting[] = ['clientId'];
  if (provider === 'oidc') required.push('issuerUrl');
  if (provider === 'oauth2') required.push('authorizeUrl', 'tokenUrl');
  for (const key of required) {
    const value = input[key];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new ConfigurationError(
        `${nameOf(key)} is not set; the ${provider} provider needs it.${hint(key)}`,
      );
    }
  }
  for (const key of [
    'clientSecret',
    'issuerUrl',
    'tenantId',
    'authorizeUrl',
    'tokenUrl',
  ] as const) {
    if (input[key] !== undefined && typeof input[key] !== 'string') {
      throw new ConfigurationError(`${nameOf(key)} must be a string.`);
    }
  }
  return input as unknown as ProviderSettings;
}

function hint(key: Setting): string {
  switch (key) {
    case 'clientId':
      return ' Register an app with the provider and use its client id.';
    case 'issuerUrl':
      return ' Use the issuer identifier, e.g. https://auth.example.com.';
    default:
      return '';
  }
}
