/**
 * Saying what could not be reached, why and what to check, when a provider does not answer:
 * the CLI asks the provider's discovery document (or token endpoint) itself and names the
 * failure (refused, name not found, timed out, TLS, an HTTP status). A development provider
 * that is not running gets the one command that starts it.
 *
 * @module
 */

import { ErrorCodes } from '../../errors.js';
import { commandName } from './command-name.js';
import { CliError, ExitCode } from './exit.js';
import { savedDevPort } from './kept-dev-provider.js';
import type { SavedProviderSettings } from './profiles-file.js';

/** Error codes of a provider that could not be reached or answered garbage. */
export const UNREACHABLE_CODES: ReadonlySet<unknown> = new Set([
  ErrorCodes.PROVIDER_UNAVAILABLE,
  ErrorCodes.DISCOVERY_FAILED,
]);

/** Whether `error` says the provider could not be reached. */
export function isUnreachable(error: unknown): boolean {
  return UNREACHABLE_CODES.has((error as { code?: unknown } | null)?.code);
}

/** The URL to try for these settings: the discovery document, else the token endpoint. */
export function probeUrl(settings: SavedProviderSettings): string | undefined {
  const issuer =
    settings.issuerUrl ??
    (settings.provider === 'google'
      ? 'https://accounts.google.com'
      : settings.provider === 'microsoft'
        ? `https://login.microsoftonline.com/${settings.tenantId ?? 'common'}/v2.0`
        : undefined);
  if (issuer !== undefined) {
    return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  }
  if (settings.provider === 'github') return 'https://github.com/login/oauth/access_token';
  return settings.tokenUrl;
}

const TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/;

/** Why a fetch failed, in words, with what to check. */
export function describeFetchFailure(error: unknown): { why: string; check: string } {
  let current: unknown = error;
  for (let depth = 0; current != null && depth < 6; depth++) {
    const { code, name, message } = current as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
    };
    if (message === 'bad port') {
      return {
        why: 'that port is one web clients never connect to (a blocked port, e.g. 1)',
        check: 'the port in the URL',
      };
    }
    if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
      return { why: 'no answer in time', check: 'your network, proxy and firewall' };
    }
    if (code === 'ECONNREFUSED') {
      return {
        why: 'the connection was refused (nothing listens there)',
        check: 'the URL and port, and that the provider is running',
      };
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
      return {
        why: 'the host name was not found',
        check: 'the host name in the URL, and your network and DNS',
      };
    }
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ECONNRESET') {
      return {
        why: code === 'ECONNRESET' ? 'the connection was reset' : 'the host is unreachable',
        check: 'your network, proxy and firewall',
      };
    }
    if (typeof code === 'string' && TLS_CODE.test(code)) {
      return {
        why: `the TLS connection failed (${code})`,
        check:
          "the provider's certificate (for a private CA, point NODE_EXTRA_CA_CERTS at its certificate)",
      };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return { why: 'the request failed', check: 'the URL, your network and proxy' };
}

/** Tries `url` (5 s); `undefined` when it answers 2xx, else why not and what to check. */
export async function diagnose(url: string): Promise<{ why: string; check: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'manual' });
    await response.body?.cancel();
    if (response.ok) return undefined;
    return {
      why: `it answered HTTP ${response.status}`,
      check: url.endsWith('/.well-known/openid-configuration')
        ? 'the issuer URL: its discovery document should be there'
        : 'the URL',
    };
  } catch (error) {
    return describeFetchFailure(error);
  }
}

/** Whether `issuer` is this config dir's development provider. */
export async function isDevIssuer(configDir: string, issuer: string | undefined): Promise<boolean> {
  const port = await savedDevPort(configDir);
  return port !== undefined && issuer?.replace(/\/$/, '') === `http://127.0.0.1:${port}`;
}

/** What to run when the development provider at `issuer` is not running. */
export function devProviderDown(issuer: string | undefined): string {
  return `The development provider${issuer ? ` at ${issuer}` : ''} is not running. Start it in another terminal: ${commandName()} dev-provider — then run this command again.`;
}

/**
 * The one message for a provider that could not be reached: which URL, why, what to check.
 * `original` is returned unchanged when the provider turns out to answer after all.
 */
export async function unreachableError(
  configDir: string,
  settings: SavedProviderSettings,
  original: unknown,
  { dev = false }: { dev?: boolean } = {},
): Promise<unknown> {
  if (dev || (await isDevIssuer(configDir, settings.issuerUrl))) {
    return new CliError(devProviderDown(settings.issuerUrl), ExitCode.FAILURE);
  }
  const url = probeUrl(settings);
  if (url === undefined) return original;
  const problem = await diagnose(url);
  if (problem === undefined) return original;
  return new CliError(
    `Could not reach the provider at ${url}: ${problem.why}. Check ${problem.check}.`,
    ExitCode.FAILURE,
  );
}
