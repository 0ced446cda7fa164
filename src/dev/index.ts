/**
 * `authflow/dev`: an embedded development OpenID provider on loopback, so that sign-in can be
 * tried and tested with no real credentials. Never use it in production.
 *
 * @module
 */
export { isLoopbackHttpUrl, NATIVE_CLIENT_ID, WEB_CLIENT_ID } from './clients.js';
export { startDevProvider } from './provider.js';
export type {
  DevAccountClaims,
  DevClientMetadata,
  DevFault,
  DevFaultEndpoint,
  DevFaultKind,
  DevProvider,
  DevProviderOptions,
  IntrospectionResult,
  TokenRequestCounters,
} from './types.js';
