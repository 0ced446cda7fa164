/**
 * authflow: OAuth 2.0 / OpenID Connect sign-in for desktop apps and CLIs (native mode)
 * and web servers (deploy mode, `authflow/deploy`).
 *
 * This entry holds native mode and what both modes share: providers, token sets and stores,
 * errors. Subpaths: `authflow/deploy` (web servers), `authflow/node` (Node `http`, Express,
 * Fastify), `authflow/client` (browsers), `authflow/dev` (a development OpenID provider).
 *
 * @example
 * ```ts
 * import { AuthFlowManager, GenericOIDCProvider, KeyringTokenStore, SessionManager } from 'authflow';
 *
 * const provider = new GenericOIDCProvider({ issuerUrl: 'https://login.example.com', clientId: 'my-cli' });
 * const tokenStore = new KeyringTokenStore({ service: 'my-cli' });
 * const sessionManager = new SessionManager({ provider, tokenStore });
 * await new AuthFlowManager({ provider, tokenStore, sessionManager }).runNative();
 * console.log(await sessionManager.getAccessToken());
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html RFC 8252, OAuth 2.0 for native apps}
 * @packageDocumentation
 */
export {
  AuthenticationError,
  type AuthenticationErrorOptions,
  AuthFlowCancelled,
  AuthFlowTimeout,
  ConfigurationError,
  type ErrorCode,
  ErrorCodes,
  StoreError,
  TokenError,
  TokenExpiredError,
  TokenRefreshError,
} from './errors.js';
export {
  type AppDescriptor,
  AuthFlowManager,
  type AuthFlowManagerOptions,
  type RunNativeOptions,
} from './flow/auth-flow-manager.js';
export {
  type ChromiumAppWindow,
  type ChromiumAppWindowOptions,
  chromiumAppWindow,
  findChromium,
} from './flow/chromium-window.js';
export { escapeHtml } from './flow/html.js';
export type { FlowOutcome, LoopbackOptions } from './flow/loopback-server.js';
export {
  defaultErrorPage,
  defaultSuccessPage,
  type ErrorPageContext,
  type LoopbackPages,
  type SuccessPageContext,
} from './flow/pages.js';
export { type AuthFlowResult, AuthFlowState } from './flow/state.js';
export {
  type CloseWindow,
  DEFAULT_WINDOW_CONFIG,
  type ShowWindow,
  type SystemBrowserOptions,
  systemBrowserWindow,
  type WindowConfig,
  type WindowContext,
} from './flow/windows.js';
export * from './providers/index.js';
export {
  type LogoutResult,
  SessionManager,
  type SessionManagerOptions,
} from './session/session-manager.js';
export { FileTokenStore, type FileTokenStoreOptions } from './stores/file.js';
export { KeyringTokenStore, type KeyringTokenStoreOptions } from './stores/keyring.js';
export { MemoryTokenStore } from './stores/memory.js';
export type { TokenStore } from './stores/types.js';
export {
  effectiveRefreshBuffer,
  isRefreshDue,
  MIN_REFRESH_DELAY_MS,
  refreshDelayMs,
} from './tokens/refresh-due.js';
export {
  canRefresh,
  isTokenExpired,
  mergeRefreshedTokens,
  nowSeconds,
  type OAuthTokenSet,
  parseTokenSet,
  redactTokenSet,
  secondsUntilExpiry,
} from './tokens/token-set.js';
