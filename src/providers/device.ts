/**
 * The device authorization grant (RFC 8628): the provider hands out a user code and a URL
 * to open on another device, then the token endpoint is polled until the user is done,
 * honouring `slow_down`. Errors are mapped by the caller (`BaseProvider.run`): an expired
 * device code ends as `AuthFlowTimeout`, a cancelled poll as `AuthFlowCancelled`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628
 * @module
 */
import * as client from 'openid-client';
import { AuthenticationError, ConfigurationError, ErrorCodes } from '../errors.js';
import { abortable } from './http.js';
import type { DeviceAuthorization } from './types.js';
import { isAllowedUrl } from './url.js';

/** Interval between polls when the provider gives none, in seconds (RFC 8628 §3.2). */
const DEFAULT_INTERVAL_SECONDS = 5;

/**
 * Asks the device authorization endpoint for a user code.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.1
 * @throws {ConfigurationError} when the provider has no device authorization endpoint.
 */
export async function requestDeviceCode(
  config: client.Configuration,
  scopes: readonly string[],
  provider: string,
): Promise<client.DeviceAuthorizationResponse> {
  if (config.serverMetadata().device_authorization_endpoint === undefined) {
    throw new ConfigurationError(
      `${provider}: the provider does not support the device authorization grant.`,
      { provider },
    );
  }
  return client.initiateDeviceAuthorization(config, { scope: scopes.join(' ') });
}

/**
 * What the user is shown. The verification URIs are shown or opened, so only https://
 * (or loopback http://) ones are accepted.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2
 * @throws {AuthenticationError} `validation_failed` when `verification_uri` is not such a URL.
 */
export function describeDeviceCode(
  response: client.DeviceAuthorizationResponse,
  provider: string,
  poll: DeviceAuthorization['poll'],
): DeviceAuthorization {
  const verificationUri = displayableUrl(response.verification_uri);
  if (verificationUri === undefined) {
    throw new AuthenticationError(
      `${provider}: the provider's device verification URI is not an https:// URL.`,
      { provider, code: ErrorCodes.VALIDATION_FAILED },
    );
  }
  const complete =
    response.verification_uri_complete === undefined
      ? undefined
      : displayableUrl(response.verification_uri_complete);
  return {
    userCode: response.user_code,
    verificationUri,
    ...(complete === undefined ? {} : { verificationUriComplete: complete }),
    expiresIn: response.expires_in,
    interval: response.interval ?? DEFAULT_INTERVAL_SECONDS,
    poll,
  };
}

/**
 * Polls the token endpoint until the user approves, the provider refuses, or `signal` aborts.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.4
 */
export function pollDeviceCode(
  config: client.Configuration,
  response: client.DeviceAuthorizationResponse,
  signal: AbortSignal,
): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  // openid-client checks the signal only between its waits (up to 5 s): answer an abort at once.
  return abortable(
    client.pollDeviceAuthorizationGrant(config, response, undefined, { signal }),
    signal,
  );
}

function displayableUrl(value: string): string | undefined {
  const url = URL.parse(value);
  return url !== null && isAllowedUrl(url) ? value : undefined;
}
