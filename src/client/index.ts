/**
 * `authflow/client`: a small browser ES module for pages of an app using `authflow/deploy`.
 * It reads the sign-in state from `/auth/status`, starts sign-in and sign-out, refreshes the
 * session's tokens before they expire, and reports changes as events. It never sees a token:
 * they stay on the server, the browser only holds an HttpOnly session cookie.
 *
 * @example
 * ```js
 * import { getState, login, logout, onAuthStateChange } from '/authflow/client.js';
 * onAuthStateChange((state) => render(state));
 * if (!(await getState()).authenticated) login(location.pathname);
 * ```
 *
 * @module
 */

/** The sign-in state, as `/auth/status` reports it. */
export interface AuthState {
  /** Whether a user is signed in. */
  authenticated: boolean;
  /** The signed-in user's id, when authenticated. */
  userId?: string;
  /** The user's roles (empty when not authenticated). */
  roles: string[];
  /** When the session ends (epoch seconds), when authenticated. */
  expiresAt?: number | null;
  /** When the access token expires (epoch seconds), when known; refreshed before then. */
  tokenExpiresAt?: number | null;
}

/** Options of {@link createAuthClient}. */
export interface AuthClientOptions {
  /** Path of the auth routes on this origin. Default `'/auth'`. */
  basePath?: string;
  /**
   * Refresh this many seconds before the access token expires. Default 60. Never more than half
   * of the token's remaining lifetime is used, so short-lived tokens are refreshed at most once
   * per half lifetime (the server refuses to refresh more often anyway).
   */
  refreshBufferSeconds?: number;
  /** Refresh automatically before expiry. Default `true`. */
  autoRefresh?: boolean;
  /** Where events are dispatched. Default `window` (or `globalThis`). */
  eventTarget?: EventTarget;
  /** The fetch function. Default the global `fetch`. */
  fetch?: typeof fetch;
}

/** Names of the events a client dispatches (as `CustomEvent`s; `detail` is shown). */
export const AuthEvents = {
  /** The state changed; `detail`: the new {@link AuthState}. */
  stateChanged: 'auth:state-changed',
  /** Tokens were refreshed; `detail`: `{ expiresAt }`. */
  tokenRefresh: 'auth:token-refresh',
  /** The user signed out (or the sign-in ended); `detail`: `{ reason }`. */
  logout: 'auth:logout',
} as const;

/** Options of {@link AuthClient.logout}. */
export interface LogoutOptions {
  /**
   * Also sign out at the provider (RP-initiated logout): the browser goes to its end-session page.
   *
   * @see {@link https://openid.net/specs/openid-connect-rpinitiated-1_0.html OpenID Connect RP-Initiated Logout}
   */
  federated?: boolean;
}

/** A browser client for the auth routes. Most pages use the module-level functions instead. */
export interface AuthClient {
  /** The current state; loads it from the server on first use. */
  getState(): Promise<AuthState>;
  /** Whether a user is signed in (loads the state on first use). */
  isAuthenticated(): Promise<boolean>;
  /** Reads the state from the server again. */
  reload(): Promise<AuthState>;
  /** Sends the browser to sign in, then back to `returnTo` (a path on this site; default: this page). */
  login(returnTo?: string): void;
  /** Signs out (server-side session and tokens are deleted). */
  logout(options?: LogoutOptions): Promise<void>;
  /** Refreshes the session's tokens now. Resolves the new state. */
  refresh(): Promise<AuthState>;
  /** Calls `callback` with each new state; returns a function that stops it. */
  onAuthStateChange(callback: (state: AuthState) => void): () => void;
  /** Stops the refresh timer and listeners. */
  dispose(): void;
}

const SIGNED_OUT: AuthState = { authenticated: false, roles: [] };
/** setTimeout's largest delay; longer waits are re-planned when it fires. */
const MAX_TIMER_MS = 2_147_000_000;
/** Wait before trying a failed automatic refresh again. */
const RETRY_MS = 30_000;
/**
 * Shortest wait before an automatic refresh, so that no refresh loop can spin (the core's
 * `MIN_REFRESH_DELAY_MS`; this module cannot import it: it is served to browsers on its own).
 */
const MIN_DELAY_MS = 1000;
/** How far this browser's clock may be from the server's before the server's `Date` is used. */
const CLOCK_TOLERANCE_MS = 2000;

/** Now on the server's clock, from a response's `Date` header when ours is clearly off. */
function serverNowMs(response: Response): number {
  const local = Date.now();
  const date = Date.parse(response.headers.get('date') ?? '');
  return Number.isNaN(date) || Math.abs(date - local) <= CLOCK_TOLERANCE_MS ? local : date;
}

/**
 * Creates a client for the auth routes under `basePath` on this origin. Most pages use the
 * module-level functions (one shared client) instead; create one for another `basePath` or
 * your own event target.
 *
 * @example
 * ```js
 * const admin = createAuthClient({ basePath: '/admin/auth' });
 * admin.onAuthStateChange((state) => {
 *   document.body.classList.toggle('signed-in', state.authenticated);
 * });
 * ```
 */
export function createAuthClient(options: AuthClientOptions = {}): AuthClient {
  const basePath = options.basePath ?? '/auth';
  const buffer = options.refreshBufferSeconds ?? 60;
  const autoRefresh = options.autoRefresh ?? true;
  const target: EventTarget = options.eventTarget ?? (globalThis as unknown as EventTarget);
  const doFetch =
    options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const listeners = new Set<(state: AuthState) => void>();
  let state: AuthState | undefined;
  let loading: Promise<AuthState> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** When (this browser's clock, ms) the current access token is due for refresh. */
  let dueAtMs: number | undefined;

  const emit = (name: string, detail: unknown) =>
    target.dispatchEvent(new CustomEvent(name, { detail }));

  /** `serverNow`: the server's time when it answered (epoch ms), to read `tokenExpiresAt` by. */
  function setState(next: AuthState, serverNow = Date.now()): AuthState {
    const changed = JSON.stringify(next) !== JSON.stringify(state);
    state = next;
    dueAtMs = undefined;
    if (typeof next.tokenExpiresAt === 'number') {
      // The rule of the core's `isRefreshDue`, with the lifetime known here: what remains of it.
      const remaining = next.tokenExpiresAt * 1000 - serverNow;
      dueAtMs = Date.now() + remaining - Math.min(buffer * 1000, Math.max(0, remaining) / 2);
    }
    schedule();
    if (changed) {
      for (const listener of listeners) listener(next);
      emit(AuthEvents.stateChanged, next);
    }
    return next;
  }

  function schedule(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (!autoRefresh || !state?.authenticated || dueAtMs === undefined) return;
    const delay = Math.max(MIN_DELAY_MS, dueAtMs - Date.now());
    timer = setTimeout(
      () => {
        if (delay > MAX_TIMER_MS) schedule();
        // A failed refresh (provider briefly down) is tried again a little later.
        else
          refresh().catch(() => {
            timer = setTimeout(schedule, RETRY_MS);
          });
      },
      Math.min(delay, MAX_TIMER_MS),
    );
  }

  async function reload(): Promise<AuthState> {
    const response = await doFetch(`${basePath}/status`, {
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (!response.ok)
      throw new Error(`Could not read the sign-in state (HTTP ${response.status}).`);
    const body = (await response.json()) as Partial<AuthState>;
    return setState(
      body.authenticated === true
        ? {
            authenticated: true,
            userId: body.userId,
            roles: Array.isArray(body.roles) ? body.roles : [],
            expiresAt: body.expiresAt ?? null,
            tokenExpiresAt: body.tokenExpiresAt ?? null,
          }
        : SIGNED_OUT,
      serverNowMs(response),
    );
  }

  function getState(): Promise<AuthState> {
    if (state !== undefined) return Promise.resolve(state);
    loading ??= reload().finally(() => {
      loading = undefined;
    });
    return loading;
  }

  async function post(path: string): Promise<Response> {
    return doFetch(`${basePath}${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
    });
  }

  async function refresh(): Promise<AuthState> {
    const response = await post('/refresh');
    if (response.status === 401) {
      setState(SIGNED_OUT);
      emit(AuthEvents.logout, { reason: 'expired' });
      return SIGNED_OUT;
    }
    if (!response.ok) throw new Error(`Could not refresh the sign-in (HTTP ${response.status}).`);
    const body = (await response.json()) as { expiresAt?: number | null };
    emit(AuthEvents.tokenRefresh, { expiresAt: body.expiresAt ?? null });
    const current = await getState();
    return setState({ ...current, tokenExpiresAt: body.expiresAt ?? null }, serverNowMs(response));
  }

  async function logout(logoutOptions: LogoutOptions = {}): Promise<void> {
    const response = await post(logoutOptions.federated ? '/logout?federated=1' : '/logout');
    if (!response.ok) throw new Error(`Could not sign out (HTTP ${response.status}).`);
    const body = (await response.json()) as { endSessionUrl?: string | null };
    setState(SIGNED_OUT);
    emit(AuthEvents.logout, { reason: 'logout' });
    if (logoutOptions.federated && typeof body.endSessionUrl === 'string') {
      globalThis.location.assign(body.endSessionUrl);
    }
  }

  return {
    getState,
    async isAuthenticated() {
      return (await getState()).authenticated;
    },
    reload,
    login(returnTo?: string) {
      const back = returnTo ?? `${globalThis.location.pathname}${globalThis.location.search}`;
      globalThis.location.assign(`${basePath}/login?returnTo=${encodeURIComponent(back)}`);
    },
    logout,
    refresh,
    onAuthStateChange(callback) {
      listeners.add(callback);
      return () => listeners.delete(callback);
    },
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      listeners.clear();
    },
  };
}

let defaultClient: AuthClient | undefined;

/** Sets the options of the module-level client (call before the other functions). */
export function configure(options: AuthClientOptions): void {
  defaultClient?.dispose();
  defaultClient = createAuthClient(options);
}

function client(): AuthClient {
  defaultClient ??= createAuthClient();
  return defaultClient;
}

/** The current sign-in state (loaded from the server on first use). */
export const getState = (): Promise<AuthState> => client().getState();
/** Reads the sign-in state from the server again. */
export const reload = (): Promise<AuthState> => client().reload();
/** Whether a user is signed in. */
export const isAuthenticated = (): Promise<boolean> => client().isAuthenticated();
/** Sends the browser to sign in, then back to `returnTo` (default: this page). */
export const login = (returnTo?: string): void => client().login(returnTo);
/** Signs out: the server ends the session and deletes its tokens; see {@link LogoutOptions}. */
export const logout = (options?: LogoutOptions): Promise<void> => client().logout(options);
/** Refreshes the session's tokens now. */
export const refresh = (): Promise<AuthState> => client().refresh();
/** Calls `callback` with each new state; returns a function that stops it. */
export const onAuthStateChange = (callback: (state: AuthState) => void): (() => void) =>
  client().onAuthStateChange(callback);
