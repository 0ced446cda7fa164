/**
 * What the interop scenarios need to know about a provider under test: how to reach it, the
 * clients and user registered at start, how a person signs in at its pages, and what it
 * supports. One implementation per provider (oauth2-mock-server, authlib, Glewlwyd).
 */
import type { Page } from 'playwright-core';

/** A client registered at the provider. */
export interface InteropClient {
  clientId: string;
  /** Set for the confidential client. */
  clientSecret?: string;
}

/** What the provider does, so each scenario asserts the right outcome. */
export interface InteropCapabilities {
  /** Redirect URIs are matched exactly, port included (so native apps need a fixed port). */
  exactRedirectUris: boolean;
  /** A new refresh token on every refresh. */
  rotatesRefreshTokens: boolean;
  /** A refresh token used once is dead (reuse answers `invalid_grant`). */
  oneUseRefreshTokens: boolean;
  /**
   * Reusing a spent one-use refresh token revokes the newest one of its chain too (reuse
   * detection, as the OAuth security BCP recommends).
   */
  reuseRevokesChain: boolean;
  /** A public client (no secret) may revoke its tokens (RFC 7009 §2.1 says it may). */
  publicClientRevocation: boolean;
  /** A revoked refresh token is refused afterwards. */
  enforcesRevocation: boolean;
  /** A revoked access token is refused at the userinfo endpoint. */
  userinfoChecksRevocation: boolean;
  /** It advertises a device authorization endpoint (RFC 8628). */
  deviceFlow: boolean;
}

/** A provider started for the suite. */
export interface InteropProvider {
  /** Shown in test names and the matrix. */
  readonly name: string;
  /** Its issuer identifier, exactly as discovery announces it. */
  readonly issuer: string;
  /** Scopes to request (with a refresh token). */
  readonly scopes: readonly string[];
  /** Public native client: PKCE only. */
  readonly publicClient: InteropClient;
  /** Confidential client, used natively and by the deploy app. */
  readonly confidentialClient: InteropClient;
  /**
   * The fixed loopback port registered for native redirects
   * (`http://127.0.0.1:<port>/callback`), for providers that match redirect URIs exactly.
   */
  readonly nativePort: number;
  /** The port the deploy app must listen on (`http://127.0.0.1:<port>/auth/callback` is registered). */
  readonly deployPort: number;
  /**
   * The `sub` the signed-in user has, when it is known in advance. `undefined`: the provider
   * mints an opaque one (Glewlwyd); the scenarios then check it is the same everywhere.
   */
  readonly subject: string | undefined;
  readonly capabilities: InteropCapabilities;
  /**
   * Does the user's part in a fresh page: opens `url` (an authorization URL), signs in at the
   * provider's page (and consents where asked), and resolves once the browser has been sent to
   * a URL starting with `redirectPrefix`.
   */
  signIn(page: Page, url: string, redirectPrefix: string): Promise<void>;
  /**
   * Makes a refresh token dead at the provider. Default: RFC 7009 revocation through authflow.
   * Only for providers that cannot revoke (oauth2-mock-server).
   */
  killRefreshToken?(refreshToken: string): void;
  /** Approves a device authorization at the provider's pages (only with `deviceFlow`). */
  approveDevice?(page: Page, verificationUri: string, userCode: string): Promise<void>;
  /** Stops it and removes what it left behind. Idempotent. */
  close(): Promise<void>;
}

/**
 * Runs `action` (which makes the browser sign in) and resolves once the page requested a URL
 * starting with `redirectPrefix`: the redirect back to the app, whatever that app answers.
 */
export async function untilRedirect(
  page: Page,
  redirectPrefix: string,
  action: () => Promise<unknown>,
  timeoutMs = 20_000,
): Promise<void> {
  const redirected = page.waitForRequest(
    (request) => request.isNavigationRequest() && request.url().startsWith(redirectPrefix),
    { timeout: timeoutMs },
  );
  redirected.catch(() => {});
  await action();
  await redirected;
}
