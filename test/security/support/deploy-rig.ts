/**
 * The deploy-mode security rig: an auth app (memory stores that record every write) in front of
 * the scriptable hostile provider (test/helpers/hostile-provider.ts), a cookie-jar "browser"
 * calling `app.fetch`, and the assertions every case shares: what the answer may show, and
 * that nothing was persisted (no session, no token set, no session cookie, no further request
 * to the provider). Not a test file itself.
 */
import assert from 'node:assert/strict';
import {
  type AuthApp,
  type AuthAppOptions,
  createAuthApp,
  MemorySessionStore,
  type PendingLogin,
  type UserSession,
} from '../../../src/deploy/index.js';
import { GenericOIDCProvider } from '../../../src/providers/oidc.js';
import { MemoryTokenStore } from '../../../src/stores/memory.js';
import type { OAuthTokenSet } from '../../../src/tokens/token-set.js';
import { AppBrowser, type Fetcher } from '../../deploy/support/app-browser.js';
import type {
  GrantSpec,
  HostileProvider,
  RecordedRequest,
} from '../../helpers/hostile-provider.js';

export const SECRET = 'security-suite-secret-4b8e1f7a2c9d6e3b0a5f8c1d';
export const BASE_URL = 'http://127.0.0.1:4300';
export const SESSION_COOKIE = 'authflow_session';
export const BINDING_COOKIE = 'authflow_session_login';
/** Put into provider answers that must never reach the browser. */
export const CANARY = 'CANARY-provider-body-7d1e';

/** A session store that records the writes the routes make. */
export class RecordingSessionStore extends MemorySessionStore {
  /** Ids of the sessions saved, in order. */
  readonly saved: string[] = [];
  /** Ids of the sessions deleted, in order. */
  readonly deleted: string[] = [];
  /** Pending logins stored, in order. */
  readonly pending: PendingLogin[] = [];
  /** Session reads. */
  gets = 0;

  override async get(sessionId: string) {
    this.gets++;
    return super.get(sessionId);
  }
  override async set(session: UserSession) {
    this.saved.push(session.sessionId);
    return super.set(session);
  }
  override async delete(sessionId: string) {
    this.deleted.push(sessionId);
    return super.delete(sessionId);
  }
  override async putPendingLogin(login: PendingLogin, ttlSeconds: number) {
    this.pending.push(structuredClone(login));
    return super.putPendingLogin(login, ttlSeconds);
  }
}

/** A token store that records the writes the routes make. */
export class RecordingTokenStore extends MemoryTokenStore {
  /** Keys saved, in order. */
  readonly saved: string[] = [];
  /** Keys deleted, in order. */
  readonly deleted: string[] = [];

  override async save(key: string, tokens: OAuthTokenSet) {
    this.saved.push(key);
    return super.save(key, tokens);
  }
  override async delete(key: string) {
    this.deleted.push(key);
    return super.delete(key);
  }
}

/** An auth app in front of a hostile provider, with recording stores. */
export interface DeployRig {
  readonly op: HostileProvider;
  readonly app: AuthApp;
  readonly sessions: RecordingSessionStore;
  readonly tokens: RecordingTokenStore;
  /** What the app reported to `onError`. */
  readonly reported: unknown[];
}

/** A GenericOIDCProvider for the hostile provider's client (public client, PKCE). */
export function hostileClient(op: HostileProvider, timeoutSeconds = 5): GenericOIDCProvider {
  return new GenericOIDCProvider({ issuerUrl: op.issuer, clientId: op.clientId, timeoutSeconds });
}

/** Creates an app for `op` with recording memory stores (nothing to close). */
export function deployRig(op: HostileProvider, options: Partial<AuthAppOptions> = {}): DeployRig {
  const sessions = new RecordingSessionStore();
  const tokens = new RecordingTokenStore();
  const reported: unknown[] = [];
  const app = createAuthApp({
    provider: hostileClient(op),
    secret: SECRET,
    baseUrl: BASE_URL,
    sessionStore: sessions,
    tokenStore: tokens,
    loginRateLimit: { max: 10_000, windowSeconds: 60 },
    onError: (error) => reported.push(error),
    ...options,
  });
  return { op, app, sessions, tokens, reported };
}

/** One browser of the security rig (see {@link AppBrowser}): a client IP, then the site. */
export class DeployBrowser extends AppBrowser {
  constructor(ip = '10.0.0.1', baseUrl = BASE_URL) {
    super(baseUrl, ip);
  }

  /** Starts a login and resolves the provider's authorization URL. */
  async startLogin(app: Fetcher, query = ''): Promise<URL> {
    const response = await this.call(app, `/auth/login${query}`);
    const location = response.headers.get('location');
    assert.equal(response.status, 302, `login answered ${response.status}`);
    assert.ok(location);
    return new URL(location);
  }

  get sessionCookie(): string | undefined {
    return this.jar.cookies.get(SESSION_COOKIE);
  }

  get bindingCookie(): string | undefined {
    return this.jar.cookies.get(BINDING_COOKIE);
  }

  /** `/auth/status` as JSON (a read: it changes nothing). */
  async status(app: Fetcher): Promise<Record<string, unknown>> {
    const response = await this.call(app, '/auth/status');
    assert.equal(response.status, 200);
    return (await response.json()) as Record<string, unknown>;
  }
}

/**
 * The callback path the provider would send the browser to for `authorizeUrl`: a fresh code
 * bound to its nonce and PKCE challenge (bent by `grant`), its state, then `extra` parameters
 * (set, replacing any of the same name).
 */
export function callbackPath(
  op: HostileProvider,
  authorizeUrl: URL,
  grant: GrantSpec = {},
  extra: Record<string, string> = {},
): string {
  const query = authorizeUrl.searchParams;
  const code = op.issueCode({
    nonce: query.get('nonce') ?? undefined,
    scope: query.get('scope') ?? undefined,
    codeChallenge: query.get('code_challenge') ?? undefined,
    ...grant,
  });
  const params = new URLSearchParams({ code, state: query.get('state') ?? '' });
  if (op.metadata.authorization_response_iss_parameter_supported === true) {
    params.set('iss', op.issuer);
  }
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  return `/auth/callback?${params}`;
}

/** A full sign-in of `browser` at `rig` (as `grant.sub`, default `user-1`). */
export async function signIn(
  rig: DeployRig,
  browser: DeployBrowser,
  grant: GrantSpec = {},
  query = '',
): Promise<{ response: Response; callback: string }> {
  const authorizeUrl = await browser.startLogin(rig.app, query);
  const callback = callbackPath(rig.op, authorizeUrl, grant);
  const response = await browser.call(rig.app, callback);
  assert.equal(response.status, 302, `callback answered ${response.status}`);
  assert.ok(browser.sessionCookie, 'signed in');
  return { response, callback };
}

/** Where the stores and the provider stood at one moment. */
export interface Mark {
  requests: number;
  sessionsSaved: number;
  tokensSaved: number;
}

export function mark(rig: DeployRig): Mark {
  return {
    requests: rig.op.requests.length,
    sessionsSaved: rig.sessions.saved.length,
    tokensSaved: rig.tokens.saved.length,
  };
}

/** Provider requests since `since`. */
export function requestsSince(rig: DeployRig, since: Mark): RecordedRequest[] {
  return rig.op.requests.slice(since.requests);
}

/** Whether a response sets the session cookie to a value (a deletion does not count). */
export function setsSessionCookie(response: Response): boolean {
  return response.headers
    .getSetCookie()
    .some((cookie) => new RegExp(`^${SESSION_COOKIE}=[^;]+`).test(cookie));
}

/**
 * Nothing was persisted since `since`: no session and no token set saved, no session cookie
 * set by `response`, exactly `tokenRequests` token requests (default 0) and `userinfoRequests`
 * userinfo requests (default 0) at the provider, and no other request but key and metadata
 * fetches (no refresh, no revocation, no retry).
 */
export function assertNothingPersisted(
  rig: DeployRig,
  since: Mark,
  response: Response | undefined,
  expected: { tokenRequests?: number; userinfoRequests?: number } = {},
): void {
  assert.deepEqual(rig.sessions.saved.slice(since.sessionsSaved), [], 'no session saved');
  assert.deepEqual(rig.tokens.saved.slice(since.tokensSaved), [], 'no token set saved');
  if (response !== undefined) assert.equal(setsSessionCookie(response), false, 'no session cookie');
  const routes = requestsSince(rig, since).map((request) => request.route);
  assert.equal(
    routes.filter((route) => route === 'token').length,
    expected.tokenRequests ?? 0,
    `token requests: ${routes.join(',')}`,
  );
  assert.equal(
    routes.filter((route) => route === 'userinfo').length,
    expected.userinfoRequests ?? 0,
    `userinfo requests: ${routes.join(',')}`,
  );
  const others = routes.filter(
    (route) =>
      route !== 'token' && route !== 'userinfo' && route !== 'jwks' && route !== 'discovery',
  );
  assert.deepEqual(others, [], `no other provider request: ${routes.join(',')}`);
}

/** Text that must never reach a browser: stacks, file paths, tokens, codes, JWTs, markup, provider bodies. */
export function assertNoInternals(text: string): void {
  assert.doesNotMatch(
    text,
    /\bat [\w$.<>]+ \(|\.(ts|js|mjs):\d+|node_modules|Error:/,
    `stack in: ${text}`,
  );
  assert.doesNotMatch(text, /\b(at|rt|code|dc)-[A-Za-z0-9_-]{16,}/, `token or code in: ${text}`);
  assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}/, `JWT in: ${text}`);
  assert.doesNotMatch(text, /[<>]/, `markup in: ${text}`);
  assert.ok(!text.includes(CANARY), `provider body in: ${text}`);
}

/**
 * A JSON error answer: `status`, `{ error, errorDescription }` only, JSON content type with
 * nosniff and no-store, nothing internal in it. Resolves the body.
 */
export async function assertJsonError(
  response: Response,
  status: number | number[],
  error?: string | string[],
): Promise<{ error: string; errorDescription: string }> {
  const statuses = Array.isArray(status) ? status : [status];
  const text = await response.text();
  assert.ok(statuses.includes(response.status), `status ${response.status}: ${text}`);
  assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const body = JSON.parse(text) as { error: string; errorDescription: string };
  assert.deepEqual(Object.keys(body), ['error', 'errorDescription']);
  if (error !== undefined) {
    assert.ok((Array.isArray(error) ? error : [error]).includes(body.error), `error ${body.error}`);
  }
  assertNoInternals(text);
  return body;
}

/** What the app reported to `onError` carries no token, code or JWT either (it goes to logs). */
export function assertReportsClean(rig: DeployRig): void {
  for (const error of rig.reported) {
    let current: unknown = error;
    for (let depth = 0; current !== undefined && depth < 5; depth++) {
      const text = current instanceof Error ? current.message : String(current);
      assert.doesNotMatch(text, /\b(at|rt|code)-[A-Za-z0-9_-]{16,}|eyJ[A-Za-z0-9_-]{10,}/, text);
      current = current instanceof Error ? current.cause : undefined;
    }
  }
}

/** The session's token set in the rig's store (the only session, or the one named). */
export async function storedTokens(
  rig: DeployRig,
  sessionId?: string,
): Promise<OAuthTokenSet | undefined> {
  const id = sessionId ?? (await rig.tokens.listKeys())[0];
  return id === undefined ? undefined : rig.tokens.load(id);
}
