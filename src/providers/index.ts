/**
 * Providers: one {@link OAuthProvider} interface, built-in implementations on openid-client.
 *
 * @module
 */
export { BaseProvider } from './base.js';
export {
  createProvider,
  PROVIDER_KINDS,
  type ProviderKind,
  type ProviderSettings,
  parseScopes,
  providerSettingsFromEnv,
} from './create.js';
export {
  GITHUB_API_URL,
  GITHUB_WEB_URL,
  GitHubProvider,
  type GitHubProviderOptions,
} from './github.js';
export { GOOGLE_ISSUER, GoogleProvider, type GoogleProviderOptions } from './google.js';
export type { FetchLike } from './http.js';
export {
  MICROSOFT_AUTHORITY,
  MICROSOFT_CONSUMERS_TENANT_ID,
  MicrosoftProvider,
  type MicrosoftProviderOptions,
} from './microsoft.js';
export { OAuth2Provider, type OAuth2ProviderOptions } from './oauth2.js';
export { GenericOIDCProvider, type GenericOIDCProviderOptions } from './oidc.js';
export type { BaseProviderOptions, TokenEndpointAuthMethod } from './options.js';
export { type AuthflowEnvSettings, type Environment, readAuthflowEnv } from './settings.js';
export { MAX_EXPIRES_IN_SECONDS } from './token-response.js';
export {
  type AuthorizeUrlParams,
  type DeviceAuthorization,
  type ExchangeCodeParams,
  type OAuthProvider,
  type UserInfo,
  userIdFromUserInfo,
} from './types.js';
export { isLoopbackHost } from './url.js';
