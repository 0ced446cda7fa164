/**
 * Where the CLI keeps its configuration and state. CommonJS (`.cts`) because the `authflow`
 * executable's fast path (`bin.cts`) needs it without starting the ESM loader; the ESM
 * modules import it as `./paths.cjs`.
 *
 * @module
 */
import os = require('node:os');
import path = require('node:path');

const { homedir } = os;
const { join } = path;

/** Profile names are used in file names and keychain accounts: keep them plain. */
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The CLI's config directory: `$AUTHFLOW_CONFIG_DIR`, else the platform's usual place —
 * `$XDG_CONFIG_HOME/authflow` or `~/.config/authflow` on Linux and other Unixes,
 * `~/Library/Application Support/authflow` on macOS, `%APPDATA%\authflow` on Windows.
 *
 * @param env - Environment to read (defaults to `process.env`).
 * @param platform - Platform to assume (defaults to `process.platform`).
 */
function configDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.AUTHFLOW_CONFIG_DIR) return env.AUTHFLOW_CONFIG_DIR;
  if (platform === 'win32') {
    return join(env.APPDATA || join(homedir(), 'AppData', 'Roaming'), 'authflow');
  }
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'authflow');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'authflow');
}

/** `profiles.json`: provider settings, store choice and accounts of every profile (no secrets). */
function profilesPath(dir: string): string {
  return join(dir, 'profiles.json');
}

/** The file-store token file of a profile (mode 0600). */
function tokensPath(dir: string, profile: string): string {
  return join(dir, 'tokens', `${profile}.json`);
}

/** The lock file that serialises refreshes of a profile across processes. */
function refreshLockPath(dir: string, profile: string): string {
  return join(dir, 'locks', `refresh-${profile}.lock`);
}

/** The state file of a running `authflow dev-provider`, so that `login --dev` can reuse it. */
function devProviderStatePath(dir: string): string {
  return join(dir, 'dev-provider.json');
}

export = {
  PROFILE_NAME,
  configDir,
  profilesPath,
  tokensPath,
  refreshLockPath,
  devProviderStatePath,
};
