/**
 * Signing in with the device authorization grant (RFC 8628) from a terminal: the
 * verification page and user code (and a QR code on a terminal), a spinner with the time
 * left while the provider is polled, then the user info and the tokens saved.
 *
 * @module
 */
import { AuthenticationError, AuthFlowCancelled, AuthFlowTimeout } from '../../../errors.js';
import { type OAuthProvider, type UserInfo, userIdFromUserInfo } from '../../../providers/types.js';
import type { TokenStore } from '../../../stores/types.js';
import type { OAuthTokenSet } from '../../../tokens/token-set.js';
import { CliError, ExitCode } from '../../shared/exit.js';
import { type Output, paint } from '../../shared/output.js';
import { terminalSafe } from '../../shared/terminal-text.js';
import { terminalQrCode } from './qr.js';
import { formatDuration, startSpinner } from './spinner.js';

/** Options for {@link runDeviceFlow}. */
export interface DeviceFlowOptions {
  /** The provider; must support the device flow. */
  provider: OAuthProvider;
  /** Where to save the tokens, under the user id. */
  store: TokenStore;
  /** Where to write. */
  out: Output;
  /** Cancels (Ctrl-C). */
  signal: AbortSignal;
  /** Give up after this many seconds (default: when the device code expires). */
  timeoutSeconds?: number;
}

/** Runs a device flow to the end; resolves the tokens and user info (tokens already saved). */
export async function runDeviceFlow(
  options: DeviceFlowOptions,
): Promise<{ tokens: OAuthTokenSet; userInfo: UserInfo }> {
  const { provider, out, signal } = options;
  if (provider.startDeviceAuthorization === undefined) {
    throw new CliError(`The ${provider.name} provider has no device flow.`, ExitCode.USAGE);
  }
  const authorization = await provider.startDeviceAuthorization({ signal });
  const seconds = Math.min(
    options.timeoutSeconds ?? Number.POSITIVE_INFINITY,
    authorization.expiresIn,
  );
  const deadline = Date.now() + seconds * 1000;
  // The provider's strings, each kept on its line (the output layer strips escapes anyway).
  const line = (text: string) => terminalSafe(text, { newlines: false });
  const bold = (text: string) => paint(out.errColor, 'bold', line(text));
  out.err('To sign in, open this page on any device:');
  out.err(`  ${bold(authorization.verificationUri)}`);
  out.err(`and enter the code:  ${bold(authorization.userCode)}`);
  if (authorization.verificationUriComplete) {
    out.err(
      `Or open this link, with the code filled in: ${line(authorization.verificationUriComplete)}`,
    );
    if (out.interactive) {
      out.err(`Or scan:\n${await terminalQrCode(authorization.verificationUriComplete)}`);
    }
  }

  const poll = new AbortController();
  const onAbort = () => poll.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => poll.abort(new AuthFlowTimeout(seconds)), seconds * 1000);
  const spinner = startSpinner(
    out,
    () =>
      `Waiting for you to approve the sign-in… ${formatDuration((deadline - Date.now()) / 1000)} left (Ctrl-C to cancel)`,
  );
  try {
    const tokens = await authorization.poll(poll.signal).catch((error: unknown) => {
      throw poll.signal.aborted ? poll.signal.reason : error;
    });
    const userInfo = await provider.getUserInfo(tokens, { signal });
    await options.store.save(userIdFromUserInfo(userInfo), tokens);
    return { tokens, userInfo };
  } catch (error) {
    throw deviceError(error, seconds);
  } finally {
    spinner.stop();
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

function deviceError(error: unknown, seconds: number): unknown {
  if (error instanceof AuthFlowTimeout || error instanceof AuthFlowCancelled) return error;
  if (error instanceof AuthenticationError) {
    if (error.providerError === 'expired_token') {
      return new AuthFlowTimeout(seconds, { provider: error.provider });
    }
    if (error.providerError === 'access_denied') {
      return new CliError('The sign-in was denied at the provider.', ExitCode.FAILURE);
    }
  }
  return error;
}
