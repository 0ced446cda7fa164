/**
 * Loads oidc-provider, an optional peer dependency, on first use.
 *
 * @module
 */
import { ConfigurationError } from '../errors.js';
import { withoutProviderNotices } from './quiet.js';

/**
 * Loads oidc-provider, an optional peer dependency of authflow: only `authflow/dev` and
 * `authflow login --dev` need it, so it is not installed for every user (it brings Koa and
 * some 60 packages). Fails with a `ConfigurationError` that says what to install.
 */
export async function loadOidcProvider(): Promise<typeof import('oidc-provider')> {
  try {
    return await withoutProviderNotices(() => import('oidc-provider'));
  } catch (error) {
    if (isMissing(error)) {
      throw new ConfigurationError(
        'The development provider needs the package oidc-provider, which authflow does not install by itself. Install it where authflow is installed: npm install --save-dev oidc-provider (for a global authflow: npm install --global oidc-provider).',
        { cause: error },
      );
    }
    throw error;
  }
}

/** Whether `error` says that oidc-provider itself (not one of its own imports) is not installed. */
function isMissing(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === 'ERR_MODULE_NOT_FOUND' &&
    typeof message === 'string' &&
    /Cannot find package 'oidc-provider'/.test(message)
  );
}
