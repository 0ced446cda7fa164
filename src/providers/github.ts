/**
 * GitHub (OAuth Apps and GitHub Apps' user tokens). Not OpenID Connect.
 *
 * @module
 */
import * as client from 'openid-client';
import { AuthenticationError, ErrorCodes, TokenError } from '../errors.js';
import type { OAuthTokenSet } from '../tokens/token-set.js';
import { guardedFetch, type ResponseHook } from './http.js';
import { OAuth2Provider } from './oauth2.js';
import type { BaseProviderOptions } from './options.js';
import type { UserInfo } from './types.js';
import { parseProviderUrl } from './url.js';

/** GitHub's web origin (authorization and token endpoints). */
export const GITHUB_WEB_URL = 'https://github.com';
/** GitHub's REST API origin. */
export const GITHUB_API_URL = 'https://api.github.com';
/** REST API version requested. */
const API_VERSION = '2022-11-28';

/** Options of {@link GitHubProvider}. */
export interface GitHubProviderOptions extends BaseProviderOptions {
  /** Client id of the OAuth App (or GitHub App). */
  clientId: string;
  /**
   * Client secret. Needed at the token endpoint for OAuth Apps, and to revoke tokens
   * (`revokeToken` resolves `false` without it).
   */
  clientSecret?: string;
  /** Scopes to request. Default `['read:user', 'user:email']`. */
  scopes?: readonly string[];
  /** Web origin, for GitHub Enterprise Server or tests. Default `https://github.com`. */
  webBaseUrl?: string;
  /** REST API base, for GitHub Enterprise Server (`https://HOST/api/v3`) or tests. Default `https://api.github.com`. */
  apiBaseUrl?: string;
}

/** A GitHub `/user/emails` entry. */
interface GitHubEmail {
  email?: unknown;
  primary?: unknown;
  verified?: unknown;
}

/**
 * GitHub answers token endpoint errors with HTTP 200 and `{ error, error_description }`.
 * Turned into the HTTP 400 RFC 6749 prescribes, openid-client reports them as OAuth errors
 * (and device-flow polling sees `authorization_pending` / `slow_down` as it should).
 */
export const githubErrorStatusHook: ResponseHook = (request, response, body) => {
  const isDeviceCode = request.url.pathname.endsWith('/login/device/code');
  if (response.status !== 200 || !(request.isTokenRequest || isDeviceCode)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  if (typeof (json as { error?: unknown }).error !== 'string') return undefined;
  const headers = new Headers(response.headers);
  headers.set('content-type', 'application/json');
  return new Response(body, { status: 400, statusText: 'Bad Request', headers });
};

/**
 * GitHub sign-in. The user profile is `GET /user`; when its `email` is null (private), the
 * primary verified address from `GET /user/emails` is filled in (needs the `user:email`
 * scope). Revocation uses GitHub's `DELETE /applications/{client_id}/token` with the client
 * credentials.
 *
 * @see https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 * @example
 * ```ts
 * const github = new GitHubProvider({ clientId, clientSecret, scopes: ['read:user', 'user:email'] });
 * ```
 */
export class GitHubProvider extends OAuth2Provider {
  /** The REST API base. */
  readonly apiBaseUrl: string;
  readonly #clientSecret: string | undefined;

  constructor(options: GitHubProviderOptions) {
    const web = trimSlash(options?.webBaseUrl ?? GITHUB_WEB_URL);
    const api = trimSlash(options?.apiBaseUrl ?? GITHUB_API_URL);
    parseProviderUrl(web, 'github: webBaseUrl');
    super(
      {
        ...options,
        authorizeUrl: `${web}/login/oauth/authorize`,
        tokenUrl: `${web}/login/oauth/access_token`,
        userinfoUrl: `${api}/user`,
        deviceAuthorizationUrl: `${web}/login/device/code`,
        issuer: web,
        name: 'github',
      },
      {
        defaultScopes: ['read:user', 'user:email'],
        defaultAuthMethod: options?.clientSecret ? 'client_secret_post' : undefined,
        onResponse: githubErrorStatusHook,
      },
    );
    this.apiBaseUrl = api;
    this.#clientSecret = options.clientSecret || undefined;
    this.reauthErrors = ['invalid_grant', 'bad_refresh_token'];
    this.commaSeparatedScope = true;
  }

  /** `GET /user`, with the primary verified email from `/user/emails` when `email` is null. */
  override async getUserInfo(
    tokens: OAuthTokenSet,
    options: { signal?: AbortSignal } = {},
  ): Promise<UserInfo> {
    this.requireAccessToken(tokens);
    return this.run('userinfo', options.signal, async (config) => {
      const user = await this.fetchJson(
        config,
        tokens.accessToken,
        new URL(`${this.apiBaseUrl}/user`),
        apiHeaders(),
        'user',
      );
      if (user.email === null || user.email === undefined || user.email === '') {
        const email = await this.#primaryVerifiedEmail(config, tokens.accessToken);
        if (email !== undefined) user.email = email;
      }
      return user;
    });
  }

  async #primaryVerifiedEmail(
    config: client.Configuration,
    accessToken: string,
  ): Promise<string | undefined> {
    const response = await client.fetchProtectedResource(
      config,
      accessToken,
      new URL(`${this.apiBaseUrl}/user/emails`),
      'GET',
      undefined,
      new Headers(apiHeaders()),
    );
    // 403/404: the token lacks the user:email scope; the profile stays without an email.
    if (response.status === 403 || response.status === 404) return undefined;
    if (response.status === 401) {
      throw new TokenError('GitHub rejected the access token at /user/emails. Sign in again.', {
        provider: this.name,
      });
    }
    const emails: unknown =
      response.status === 200 ? await response.json().catch(() => null) : null;
    if (!Array.isArray(emails)) {
      throw new AuthenticationError(
        `GitHub's /user/emails answered HTTP ${response.status} without an email list. Try again later.`,
        { provider: this.name, code: ErrorCodes.PROVIDER_UNAVAILABLE },
      );
    }
    const primary = (emails as GitHubEmail[]).find(
      (entry) =>
        entry?.primary === true && entry.verified === true && typeof entry.email === 'string',
    );
    return primary?.email as string | undefined;
  }

  /**
   * Revokes an access token with `DELETE /applications/{client_id}/token`. Resolves `false`
   * without a client secret, or for a refresh token (GitHub's API revokes access tokens).
   */
  override async revokeToken(
    token: string,
    tokenTypeHint?: 'access_token' | 'refresh_token',
  ): Promise<boolean> {
    const secret = this.#clientSecret;
    if (secret === undefined || tokenTypeHint === 'refresh_token') return false;
    return this.run('revoke', undefined, async () => {
      const url = new URL(
        `${this.apiBaseUrl}/applications/${encodeURIComponent(this.clientId)}/token`,
      );
      const credentials = Buffer.from(`${this.clientId}:${secret}`).toString('base64');
      const response = await guardedFetch(
        this.fetch,
        url,
        {
          method: 'DELETE',
          headers: {
            ...apiHeaders(),
            authorization: `Basic ${credentials}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ access_token: token }),
        },
        this.timeoutSeconds,
      );
      if (response.status === 204) return true;
      throw new AuthenticationError(
        response.status === 404
          ? 'GitHub did not revoke the token (HTTP 404): the token is unknown, or the client id/secret are wrong.'
          : `GitHub did not revoke the token (HTTP ${response.status}).`,
        { provider: this.name, code: ErrorCodes.PROVIDER_ERROR },
      );
    });
  }
}

function apiHeaders(): Record<string, string> {
  return {
    accept: 'application/vnd.github+json',
    'x-github-api-version': API_VERSION,
    'user-agent': 'authflow',
  };
}

function trimSlash(value: string): string {
  return String(value).replace(/\/+$/, '');
}
