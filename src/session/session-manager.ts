/**
 * `SessionManager`: keeps one signed-in user's token set fresh in native mode (desktop apps,
 * CLIs).
 *
 * "Session" here means that token set, stored in a {@link TokenStore} under `sessionKey`;
 * there is no server-side session and no cookie. Deploy mode's sessions (`UserSession`,
 * kept in a `SessionStore` by `authflow/deploy`) are another thing: see "Names" in
 * ARCHITECTURE.md.
 *
 * @module
 */
import {
  AuthenticationError,
  ErrorCodes,
  TokenError,
  TokenExpiredError,
  TokenRefreshError,
} from '../errors.js';
import type { OAuthProvider } from '../providers/types.js';
import type { TokenStore } from '../stores/types.js';
import {
  isRefreshDue,
  isStillValid,
  MIN_REFRESH_DELAY_MS,
  refreshDelayMs,
} from '../tokens/refresh-due.js';
import {
  canRefresh,
  isTokenExpired,
  mergeRefreshedTokens,
  type OAuthTokenSet,
} from '../tokens/token-set.js';

/** Options for {@link SessionManager}. */
export interface SessionManagerOptions {
  /** The provider that issued the tokens; used to refresh and revoke them. */
  provider: OAuthProvider;
  /** Where the token set lives. */
  tokenStore: TokenStore;
  /**
   * Key of the token set in the store: one key per signed-in account (the CLI uses the user's
   * id). Default `'default'`.
   */
  sessionKey?: string;
  /**
   * Refresh this many seconds before the access token expires. Default 60. Never more than half
   * of the token's lifetime is used (see `effectiveRefreshBuffer`): a token set is refreshed at
   * most once per half lifetime, however short-lived its tokens.
   */
  refreshBufferSeconds?: number;
  /**
   * Called when the refresh token was rejected and the user must sign in again.
   * The stored token set is kept (another process may have rotated it); call `logout()` to drop it.
   */
  onReauthRequired?: (error: TokenRefreshError) => void;
  /** Refresh in the background before expiry. Default true. The timer never keeps the process alive. */
  backgroundRefresh?: boolean;
}

/** What {@link SessionManager.logout} did. */
export interface LogoutResult {
  /** Token kinds revoked at the provider. */
  revoked: Array<'access_token' | 'refresh_token'>;
  /** Whether a token set was deleted from the store. */
  deleted: boolean;
}

// setTimeout's delay is a signed 32-bit number of milliseconds.
const MAX_TIMER_MS = 2 ** 31 - 1;
const RETRY_DELAY_MS = 30_000;

/**
 * Keeps one user's tokens fresh: hands out a valid access token, refreshes it
 * before it expires (one refresh at a time, however many callers), and signs out.
 *
 * Its "session" is a token set in a {@link TokenStore}, not a deploy-mode `UserSession`.
 *
 * @example
 * ```ts
 * const sessions = new SessionManager({ provider, tokenStore: new FileTokenStore({ path }) });
 * await sessions.initialize(); // loads a saved token set, if any
 * const accessToken = await sessions.getAccessToken(); // refreshed first when due
 * // ... and when the user signs out:
 * await sessions.logout(); // revokes at the provider, deletes the stored set
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-6 RFC 6749 §6, refreshing an access token}
 * @see {@link https://www.rfc-editor.org/rfc/rfc7009.html RFC 7009, token revocation}
 */
export class SessionManager {
  readonly #provider: OAuthProvider;
  readonly #store: TokenStore;
  readonly #key: string;
  readonly #bufferSeconds: number;
  readonly #onReauthRequired: ((error: TokenRefreshError) => void) | undefined;
  readonly #background: boolean;
  #tokens: OAuthTokenSet | undefined;
  #refreshing: Promise<OAuthTokenSet> | undefined;
  /** The refresh token the provider last rejected: never sent again. */
  #rejectedRefreshToken: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #disposed = false;

  constructor(options: SessionManagerOptions) {
    this.#provider = options.provider;
    this.#store = options.tokenStore;
    this.#key = options.sessionKey ?? 'default';
    this.#bufferSeconds = options.refreshBufferSeconds ?? 60;
    this.#onReauthRequired = options.onReauthRequired;
    this.#background = options.backgroundRefresh ?? true;
  }

  /** The key of this session's token set in the store. */
  get sessionKey(): string {
    return this.#key;
  }

  /** Loads the stored token set (if any) and schedules its background refresh. */
  async initialize(): Promise<OAuthTokenSet | undefined> {
    this.#tokens = await this.#store.load(this.#key);
    this.#schedule();
    return this.#tokens;
  }

  /** Stores a new token set (after sign-in) and schedules its refresh. */
  async saveTokens(tokens: OAuthTokenSet): Promise<void> {
    await this.#store.save(this.#key, tokens);
    this.#tokens = tokens;
    this.#disposed = false;
    this.#schedule();
  }

  /** The current token set, or `undefined` when signed out. Does not refresh. */
  async getTokens(): Promise<OAuthTokenSet | undefined> {
    this.#tokens ??= await this.#store.load(this.#key);
    return this.#tokens;
  }

  /**
   * A valid access token, refreshed first when it expires within the buffer.
   * Rejects with `TokenError` (`not_authenticated`) when signed out, `TokenExpiredError`
   * when it expired and cannot be refreshed, `TokenRefreshError` when refreshing failed.
   */
  async getAccessToken(): Promise<string> {
    const tokens = await this.getTokens();
    if (tokens === undefined) {
      throw new TokenError('Not signed in. Sign in first (run `authflow login`).', {
        code: ErrorCodes.NOT_AUTHENTICATED,
        provider: this.#provider.name,
      });
    }
    if (!isRefreshDue(tokens, this.#bufferSeconds)) return tokens.accessToken;
    if (!canRefresh(tokens)) {
      if (!isTokenExpired(tokens)) return tokens.accessToken;
      throw new TokenExpiredError(
        'The access token has expired and there is no refresh token. Sign in again (run `authflow login`).',
        { provider: this.#provider.name },
      );
    }
    return (await this.refresh()).accessToken;
  }

  /**
   * Refreshes now, whether or not the token set is due. Concurrent calls share one request to
   * the provider, and a set that another process or worker has just stored (and that is still
   * valid) is used as it is.
   */
  refresh(): Promise<OAuthTokenSet> {
    this.#refreshing ??= this.#refreshOnce().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /**
   * Signs out: revokes the refresh and access tokens where the provider can
   * (best effort), deletes the stored token set, stops background refresh.
   */
  async logout(): Promise<LogoutResult> {
    this.#clearTimer();
    const tokens = await this.getTokens().catch(() => undefined);
    const revoked: LogoutResult['revoked'] = [];
    if (tokens !== undefined) {
      // Revoke the refresh token first: with most providers it also kills its access tokens.
      const attempts: Array<[string | undefined, 'refresh_token' | 'access_token']> = [
        [tokens.refreshToken, 'refresh_token'],
        [tokens.accessToken, 'access_token'],
      ];
      for (const [token, hint] of attempts) {
        if (token === undefined) continue;
        if (await this.#provider.revokeToken(token, hint).catch(() => false)) revoked.push(hint);
      }
    }
    const deleted = await this.#store.delete(this.#key);
    this.#tokens = undefined;
    return { revoked, deleted };
  }

  /** Stops background refresh. The manager can be used again after `saveTokens` or `initialize`. */
  dispose(): void {
    this.#disposed = true;
    this.#clearTimer();
  }

  async #refreshOnce(): Promise<OAuthTokenSet> {
    // Another process or worker may have rotated the tokens since we loaded them.
    const current = (await this.#store.load(this.#key)) ?? this.#tokens;
    if (
      this.#rejectedRefreshToken !== undefined &&
      current?.refreshToken === this.#rejectedRefreshToken
    ) {
      // Already refused, and the app was told: no request until a new token set is stored.
      throw new TokenRefreshError(
        'The provider rejected the refresh token. Sign in again (run `authflow login`).',
        { code: ErrorCodes.REAUTH_REQUIRED, provider: this.#provider.name },
      );
    }
    if (current === undefined || !canRefresh(current)) {
      throw new TokenRefreshError(
        'There is no refresh token. Sign in again (run `authflow login`).',
        {
          code: ErrorCodes.REAUTH_REQUIRED,
          provider: this.#provider.name,
        },
      );
    }
    // Someone else refreshed while we were deciding: their set is as good as ours would be, even
    // inside the buffer. Refreshing it again is how short-lived tokens caused refresh storms.
    const rotatedElsewhere =
      this.#tokens !== undefined && current.accessToken !== this.#tokens.accessToken;
    if (rotatedElsewhere && isStillValid(current)) {
      this.#tokens = current;
      this.#schedule();
      return current;
    }
    let next: OAuthTokenSet;
    try {
      const refreshed = await this.#provider.refreshTokens(current.refreshToken as string, {
        idToken: current.idToken,
      });
      next = mergeRefreshedTokens(current, refreshed);
    } catch (error) {
      const failure = toRefreshError(error, this.#provider.name);
      if (failure.code !== ErrorCodes.REAUTH_REQUIRED) throw failure;
      // A rejected refresh token may only mean another process rotated it first.
      const stored = await this.#store.load(this.#key).catch(() => undefined);
      if (stored !== undefined && stored.refreshToken !== current.refreshToken) {
        this.#tokens = stored;
        this.#schedule();
        return stored;
      }
      this.#rejectedRefreshToken = current.refreshToken;
      this.#clearTimer();
      try {
        this.#onReauthRequired?.(failure);
      } catch {
        // The app's callback must not turn a refresh failure into a different error.
      }
      throw failure;
    }
    await this.#store.save(this.#key, next);
    this.#tokens = next;
    this.#schedule();
    return next;
  }

  #schedule(): void {
    this.#clearTimer();
    const tokens = this.#tokens;
    if (
      !this.#background ||
      this.#disposed ||
      tokens?.expiresAt === undefined ||
      !canRefresh(tokens)
    ) {
      return;
    }
    const delayMs = refreshDelayMs(tokens, this.#bufferSeconds);
    if (delayMs !== undefined) this.#setTimer(delayMs);
  }

  #setTimer(delayMs: number): void {
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        const tokens = this.#tokens;
        // A wait longer than setTimeout allows ends early: plan again instead of refreshing.
        if (tokens !== undefined && !isRefreshDue(tokens, this.#bufferSeconds)) {
          this.#schedule();
          return;
        }
        this.refresh().catch((error: unknown) => {
          // Transient failures retry later; reauth_required already told the app.
          if (!(error instanceof TokenRefreshError && error.code === ErrorCodes.REAUTH_REQUIRED)) {
            if (!this.#disposed) this.#setTimer(RETRY_DELAY_MS);
          }
        });
      },
      Math.min(Math.max(delayMs, MIN_REFRESH_DELAY_MS), MAX_TIMER_MS),
    );
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function toRefreshError(error: unknown, provider: string): TokenRefreshError {
  if (error instanceof TokenRefreshError) return error;
  const reauth = error instanceof AuthenticationError && error.code === ErrorCodes.REAUTH_REQUIRED;
  return new TokenRefreshError(
    reauth
      ? 'The provider rejected the refresh token. Sign in again (run `authflow login`).'
      : 'Refreshing the tokens failed. Try again later.',
    {
      code: reauth ? ErrorCodes.REAUTH_REQUIRED : ErrorCodes.REFRESH_FAILED,
      provider,
      cause: error,
    },
  );
}
