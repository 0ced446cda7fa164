/**
 * Ending a sign-in at the provider: token revocation (RFC 7009) and the RP-initiated logout
 * URL (OpenID Connect RP-Initiated Logout). Both are optional; a provider without the
 * endpoint gets `false` / `undefined`, not an error.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html
 * @module
 */
import * as client from 'openid-client';
import { isAllowedUrl } from './url.js';

/**
 * Revokes `token`; `false` when the provider has no revocation endpoint.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 */
export async function revokeAtEndpoint(
  config: client.Configuration,
  token: string,
  tokenTypeHint?: 'access_token' | 'refresh_token',
): Promise<boolean> {
  if (config.serverMetadata().revocation_endpoint === undefined) return false;
  await client.tokenRevocation(
    config,
    token,
    tokenTypeHint ? { token_type_hint: tokenTypeHint } : undefined,
  );
  return true;
}

/** Parameters of the RP-initiated logout URL. */
export interface EndSessionParams {
  /** The ID token last issued, so the provider knows whose session ends. */
  idTokenHint?: string;
  /** Where the provider sends the user afterwards; must be registered there. */
  postLogoutRedirectUri?: string;
  /** Round-tripped to the post-logout redirect URI. */
  state?: string;
}

/**
 * The logout URL, or `undefined` when the provider has no end-session endpoint or it is not
 * https:// (plain http is accepted only on loopback).
 *
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 * @example
 * const url = endSessionUrl(config, { idTokenHint, postLogoutRedirectUri: 'https://app.example/' });
 */
export function endSessionUrl(
  config: client.Configuration,
  params: EndSessionParams,
): URL | undefined {
  if (config.serverMetadata().end_session_endpoint === undefined) return undefined;
  const query: Record<string, string> = {};
  if (params.idTokenHint !== undefined) query.id_token_hint = params.idTokenHint;
  if (params.postLogoutRedirectUri !== undefined) {
    query.post_logout_redirect_uri = params.postLogoutRedirectUri;
  }
  if (params.state !== undefined) query.state = params.state;
  const url = client.buildEndSessionUrl(config, query);
  return isAllowedUrl(url) ? url : undefined;
}
