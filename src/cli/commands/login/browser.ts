/**
 * Whether a browser can be opened for the user on this machine.
 *
 * @module
 */

/**
 * `false` in an SSH session (`SSH_CONNECTION`/`SSH_TTY`) or, on Linux and other Unixes
 * but macOS, without a display (`DISPLAY`/`WAYLAND_DISPLAY`). The CLI then prefers the
 * device flow, where the user signs in on another device.
 */
export function canOpenBrowser(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (env.SSH_CONNECTION || env.SSH_TTY) return false;
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}
