/**
 * Flow settings read from environment variables, with validation.
 *
 * @module
 */
import { ConfigurationError } from '../errors.js';

/** Flow settings from the environment (see {@link readAuthflowEnv}). */
export interface AuthflowEnvSettings {
  /** `AUTHFLOW_USE_PKCE`: use PKCE (S256). Default `true`. */
  usePkce: boolean;
  /** `AUTHFLOW_AUTH_TIMEOUT_SECONDS`: seconds the user has to sign in. Default `120`. */
  authTimeout: number;
  /** `AUTHFLOW_REFRESH_BUFFER_SECONDS`: refresh this many seconds before expiry. Default `60`. */
  refreshBufferSeconds: number;
}

/** An environment, as `process.env`. */
export type Environment = Record<string, string | undefined>;

/**
 * Reads `AUTHFLOW_USE_PKCE` (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`),
 * `AUTHFLOW_AUTH_TIMEOUT_SECONDS` (positive number) and `AUTHFLOW_REFRESH_BUFFER_SECONDS`
 * (non-negative number). Unset or empty variables take their defaults.
 *
 * @throws ConfigurationError naming the variable when a value is invalid.
 */
export function readAuthflowEnv(env: Environment = process.env): AuthflowEnvSettings {
  return {
    usePkce: readBoolean(env, 'AUTHFLOW_USE_PKCE', true),
    authTimeout: readNumber(env, 'AUTHFLOW_AUTH_TIMEOUT_SECONDS', 120, false),
    refreshBufferSeconds: readNumber(env, 'AUTHFLOW_REFRESH_BUFFER_SECONDS', 60, true),
  };
}

/** The trimmed value of `name`, or `undefined` when unset or blank. */
export function readString(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function readBoolean(env: Environment, name: string, fallback: boolean): boolean {
  const value = readString(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ConfigurationError(
    `${name} must be true or false (also accepted: 1/0, yes/no, on/off).`,
  );
}

function readNumber(env: Environment, name: string, fallback: number, allowZero: boolean): number {
  const value = readString(env, name);
  if (value === undefined) return fallback;
  const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed) || parsed < 0 || (!allowZero && parsed === 0)) {
    throw new ConfigurationError(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds.`,
    );
  }
  return parsed;
}
