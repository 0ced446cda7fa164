/**
 * `AuthFlowManager`: the native sign-in (RFC 8252) from start to stored tokens. It starts the
 * loopback server, shows the provider's page in a window, checks the authorization response,
 * exchanges the code with PKCE through the provider (openid-client), reads the user's claims,
 * and saves the token set, or leaves nothing behind when any step fails.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { clearTimeout, setTimeout } from 'node:timers';
import * as client from 'openid-client';
import {
  AuthenticationError,
  AuthFlowCancelled,
  AuthFlowTimeout,
  ConfigurationError,
  ErrorCodes,
} from '../errors.js';
import { type OAuthProvider, type UserInfo, userIdFromUserInfo } from '../providers/types.js';
import type { SessionManager } from '../session/session-manager.js';
import type { TokenStore } from '../stores/types.js';
import type { OAuthTokenSet } from '../tokens/token-set.js';
import { type FlowOutcome, type LoopbackOptions, startLoopbackServer } from './loopback-server.js';
import { type AuthFlowResult, AuthFlowState } from './state.js';
import {
  type CloseWindow,
  DEFAULT_WINDOW_CONFIG,
  type ShowWindow,
  systemBrowserWindow,
  type WindowConfig,
} from './windows.js';

/** Options for {@link AuthFlowManager}. */
export interface AuthFlowManagerOptions {
  /** The provider to sign in with. */
  provider: OAuthProvider;
  /** Where to save the tokens after sign-in, under the user's id. */
  tokenStore?: TokenStore;
  /** Handed the tokens after sign-in, to keep them fresh. */
  sessionManager?: SessionManager;
  /**
   * Use PKCE (S256). Default true. Turn off only for providers that reject it.
   *
   * @see {@link https://www.rfc-editor.org/rfc/rfc7636.html RFC 7636, PKCE}
   */
  usePkce?: boolean;
  /** Seconds to wait for the user to sign in. Default 120. */
  authTimeout?: number;
  /** Loopback server settings (port, ports, callback path, pages). */
  loopback?: LoopbackOptions;
}

/** Options for {@link AuthFlowManager.runNative}. */
export interface RunNativeOptions {
  /** Opens the sign-in window. Default: the system browser. */
  showWindow?: ShowWindow;
  /** Closes it; always called before the flow settles. */
  closeWindow?: CloseWindow;
  /** Overrides of the window settings (title, width, height, ...). */
  windowConfig?: Partial<WindowConfig>;
  /** Cancels the flow, like {@link AuthFlowManager.cancel}. */
  signal?: AbortSignal;
  /** Loopback server settings for this run; override the manager's. */
  loopback?: LoopbackOptions;
  /** Extra authorization request parameters, e.g. `{ login_hint: 'ada@example.com' }`. */
  extraAuthorizeParams?: Record<string, string>;
}

/** Describes the host application for {@link AuthFlowManager.authenticate}. */
export interface AppDescriptor {
  /** `native` for desktop apps and CLIs, `deploy` for web servers. */
  mode: 'native' | 'deploy';
  /** The web server's public origin, in deploy mode. */
  baseUrl?: string;
}

/**
 * Orchestrates sign-in. Native mode: a loopback server, the provider's page in a
 * window, the code exchanged with PKCE, tokens validated and stored. Deploy mode:
 * the `/auth/login` URL of the web routes (see `authflow/deploy`).
 *
 * @example
 * ```ts
 * const provider = new GoogleProvider({ clientId: 'my-desktop-client-id' });
 * const tokenStore = new KeyringTokenStore();
 * const sessionManager = new SessionManager({ provider, tokenStore });
 * const flow = new AuthFlowManager({ provider, tokenStore, sessionManager });
 * const { userInfo } = await flow.runNative(); // opens the system browser
 * const accessToken = await sessionManager.getAccessToken();
 * ```
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html RFC 8252, OAuth 2.0 for native apps}
 * @see {@link https://www.rfc-editor.org/rfc/rfc7636.html RFC 7636, PKCE}
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth OpenID Connect Core §3.1, authorization code flow}
 */
export class AuthFlowManager {
  /** The provider this manager signs in with. */
  readonly provider: OAuthProvider;
  /** Seconds a native flow waits for the user. */
  readonly authTimeout: number;
  /** Whether PKCE is used. */
  readonly usePkce: boolean;
  readonly #tokenStore: TokenStore | undefined;
  readonly #sessionManager: SessionManager | undefined;
  readonly #loopback: LoopbackOptions | undefined;
  #state: AuthFlowState = AuthFlowState.PENDING;
  #flowId: string | undefined;
  #abort: AbortController | undefined;

  constructor(options: AuthFlowManagerOptions) {
    const timeout = options.authTimeout ?? 120;
    if (!(timeout > 0) || !Number.isFinite(timeout)) {
      throw new ConfigurationError('authTimeout must be a positive number of seconds.');
    }
    this.provider = options.provider;
    this.authTimeout = timeout;
    this.usePkce = options.usePkce ?? true;
    this.#tokenStore = options.tokenStore;
    this.#sessionManager = options.sessionManager;
    this.#loopback = options.loopback;
  }

  /** The state of the current or last flow. */
  get flowState(): AuthFlowState {
    return this.#state;
  }

  /** Id of the current or last flow run, `undefined` before the first. */
  get flowId(): string | undefined {
    return this.#flowId;
  }

  /**
   * Runs a native sign-in. Resolves `{ success: true, tokens, userInfo }`; rejects with
   * `AuthFlowTimeout`, `AuthFlowCancelled` or `AuthenticationError`. Whatever the outcome,
   * the loopback server is stopped and `closeWindow` called before it settles.
   *
   * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-7.3 RFC 8252 §7.3, loopback interface redirection}
   * @see {@link https://www.rfc-editor.org/rfc/rfc9207.html RFC 9207, the `iss` authorization response parameter}
   */
  async runNative(options: RunNativeOptions = {}): Promise<AuthFlowResult> {
    if (this.#state === AuthFlowState.IN_PROGRESS) {
      throw new AuthenticationError('A sign-in is already in progress. Cancel it first.', {
        code: ErrorCodes.SIGN_IN_IN_PROGRESS,
        provider: this.provider.name,
        flowId: this.#flowId,
      });
    }
    const flowId = randomUUID();
    const abort = new AbortController();
    this.#flowId = flowId;
    this.#abort = abort;
    this.#state = AuthFlowState.IN_PROGRESS;
    try {
      const result = await this.#run(flowId, abort, options);
      this.#state = AuthFlowState.COMPLETED;
      return result;
    } catch (error) {
      const failure = this.#toFlowError(error, flowId);
      this.#state =
        failure instanceof AuthFlowTimeout
          ? AuthFlowState.TIMED_OUT
          : failure instanceof AuthFlowCancelled
            ? AuthFlowState.CANCELLED
            : AuthFlowState.FAILED;
      throw failure;
    } finally {
      if (this.#abort === abort) this.#abort = undefined;
    }
  }

  /** The deploy-mode login URL: `${baseUrl}/auth/login`, without a double slash. */
  runDeploy(baseUrl = ''): string {
    return `${baseUrl.replace(/\/+$/, '')}/auth/login`;
  }

  /**
   * One entry point for both modes. Deploy mode resolves `{ success: false, error }` naming
   * the login URL to navigate to; native mode runs {@link runNative}, with the system browser
   * as the default window.
   */
  async authenticate(
    app: AppDescriptor,
    options: Pick<RunNativeOptions, 'showWindow' | 'closeWindow' | 'windowConfig'> = {},
  ): Promise<AuthFlowResult> {
    if (app.mode === 'deploy') {
      return {
        success: false,
        error: `Navigate to ${this.runDeploy(app.baseUrl)} to authenticate (deploy mode)`,
      };
    }
    return this.runNative(options);
  }

  /** Ends the waiting flow at once with `AuthFlowCancelled`. Does nothing when no flow runs. */
  cancel(): void {
    this.#abort?.abort(new AuthFlowCancelled('Sign-in was cancelled.'));
  }

  async #run(
    flowId: string,
    abort: AbortController,
    options: RunNativeOptions,
  ): Promise<AuthFlowResult> {
    const { signal } = abort;
    const provider = this.provider;
    const onExternalAbort = () => abort.abort(new AuthFlowCancelled('Sign-in was aborted.'));
    if (options.signal?.aborted) onExternalAbort();
    options.signal?.addEventListener('abort', onExternalAbort, { once: true });
    const timer = setTimeout(
      () => abort.abort(new AuthFlowTimeout(this.authTimeout)),
      this.authTimeout * 1000,
    );
    timer.unref();

    const state = client.randomState();
    const nonce = provider.isOidc ? client.randomNonce() : undefined;
    const codeVerifier = this.usePkce ? client.randomPKCECodeVerifier() : undefined;
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(signal.reason);
      if (signal.aborted) fail();
      else signal.addEventListener('abort', fail, { once: true });
    });
    aborted.catch(() => {});

    let outcome: FlowOutcome = {
      ok: false,
      title: 'Sign-in failed',
      message: 'Return to the application and try again.',
    };
    let opened: Promise<unknown> | undefined;
    const closeWindow = options.closeWindow;
    const server = await startLoopbackServer({
      ...this.#loopback,
      ...options.loopback,
      expectedState: state,
      provider: provider.name,
    });
    try {
      signal.throwIfAborted();
      const authorizeUrl = await Promise.race([
        provider.buildAuthorizeUrl({
          redirectUri: server.redirectUri,
          state,
          nonce,
          codeChallenge:
            codeVerifier === undefined
              ? undefined
              : await client.calculatePKCECodeChallenge(codeVerifier),
          extraParams: options.extraAuthorizeParams,
        }),
        aborted,
      ]);
      const showWindow = options.showWindow ?? systemBrowserWindow();
      const config: WindowConfig = { ...DEFAULT_WINDOW_CONFIG, ...options.windowConfig };
      const windowContext = {
        flowId,
        signal,
        windowClosed: () => abort.abort(new AuthFlowCancelled('The sign-in window was closed.')),
      };
      // Not awaited before listening: an opener may only resolve once its page has loaded,
      // and the final page loads only when the flow ends.
      opened = Promise.resolve(showWindow(authorizeUrl.href, config, windowContext));
      opened.catch(() => {});
      const windowFailed = opened.then(
        () => new Promise<never>(() => {}),
        (error: unknown) => Promise.reject(error),
      );
      // The provider validates the response (state, RFC 9207 iss, error=) in exchangeCode.
      const callbackUrl = await Promise.race([server.callback, aborted, windowFailed]);
      const tokens = await provider.exchangeCode({
        callbackUrl,
        redirectUri: server.redirectUri,
        expectedState: state,
        expectedNonce: nonce,
        codeVerifier,
        signal,
      });
      const userInfo = await provider.getUserInfo(tokens, { signal });
      signal.throwIfAborted();
      await this.#persist(tokens, userInfo);
      outcome = { ok: true };
      return { success: true, tokens, userInfo };
    } catch (error) {
      // A timeout or cancel wins over whatever error it caused in the step it interrupted.
      const failure = this.#toFlowError(signal.aborted ? signal.reason : error, flowId);
      outcome = pageOutcome(failure);
      throw failure;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onExternalAbort);
      if (!signal.aborted) abort.abort(new AuthFlowCancelled('The flow ended.'));
      await server.close(outcome);
      if (closeWindow !== undefined && opened !== undefined) {
        const label = await settleWithin(opened, WINDOW_SETTLE_MS);
        await Promise.resolve(closeWindow(typeof label === 'string' ? label : undefined)).catch(
          () => {},
        );
      }
    }
  }

  async #persist(tokens: OAuthTokenSet, userInfo: UserInfo): Promise<void> {
    const key = userIdFromUserInfo(userInfo);
    const store = this.#tokenStore;
    await store?.save(key, tokens);
    try {
      await this.#sessionManager?.saveTokens(tokens);
    } catch (error) {
      // Leave no half-finished sign-in behind.
      await store?.delete(key).catch(() => {});
      throw error;
    }
  }

  /** The error a flow rejects with: an `AuthenticationError` carrying the flow's id. */
  #toFlowError(error: unknown, flowId: string): AuthenticationError {
    const failure =
      error instanceof AuthenticationError
        ? error
        : new AuthenticationError('Sign-in failed unexpectedly. Try again.', {
            code: ErrorCodes.INTERNAL,
            provider: this.provider.name,
            cause: error,
          });
    failure.flowId ??= flowId;
    return failure;
  }
}

const WINDOW_SETTLE_MS = 5000;

/** The value of `promise`, or `undefined` when it rejects or takes longer than `ms`. */
async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function pageOutcome(error: AuthenticationError): FlowOutcome {
  if (error instanceof AuthFlowTimeout) {
    return {
      ok: false,
      title: 'Sign-in timed out',
      message: 'Return to the application and try again.',
    };
  }
  if (error instanceof AuthFlowCancelled) {
    return { ok: false, title: 'Sign-in cancelled', message: 'You can close this window.' };
  }
  if (error.code === ErrorCodes.PROVIDER_ERROR) {
    return {
      ok: false,
      title: 'Sign-in refused',
      message: `The provider said: ${error.providerError ?? 'error'}${error.providerErrorDescription ? ` (${error.providerErrorDescription})` : ''}. Return to the application and try again.`,
    };
  }
  return {
    ok: false,
    title: 'Sign-in failed',
    message: 'Return to the application and try again.',
  };
}
