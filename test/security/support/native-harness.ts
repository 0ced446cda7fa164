/**
 * Drives AuthFlowManager.runNative against the hostile provider (test/helpers/hostile-provider.ts)
 * without a browser: the "window" is a script that plays the user's browser (and any attacker
 * next to it) with plain HTTP requests, so each case can bend one thing and check that the flow
 * refuses it and that nothing was stored. Not a test file itself.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import {
  AuthenticationError,
  AuthFlowCancelled,
  AuthFlowTimeout,
  type ErrorCode,
} from '../../../src/errors.js';
import { AuthFlowManager, type RunNativeOptions } from '../../../src/flow/auth-flow-manager.js';
import type { LoopbackOptions } from '../../../src/flow/loopback-server.js';
import type { AuthFlowResult } from '../../../src/flow/state.js';
import type { ShowWindow } from '../../../src/flow/windows.js';
import {
  GenericOIDCProvider,
  type GenericOIDCProviderOptions,
} from '../../../src/providers/index.js';
import { SessionManager } from '../../../src/session/session-manager.js';
import { MemoryTokenStore } from '../../../src/stores/memory.js';
import {
  assertNoSecrets,
  type GrantSpec,
  type HostileProvider,
  type RecordedRequest,
} from '../../helpers/hostile-provider.js';
import type { RawResponse } from '../../helpers/http.js';

export {
  type HttpRequestOptions,
  httpRequest,
  type RawResponse,
  tryConnect,
} from '../../helpers/http.js';

/** What the authorization request the flow opened asked for. */
export interface AuthorizeRequest {
  url: URL;
  state: string;
  nonce: string | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: string | undefined;
  redirectUri: string;
  /** `http://127.0.0.1:<port>` of the loopback server. */
  loopbackOrigin: string;
  port: number;
}

/** Handed to a window script: the authorization request, and ways to act on it. */
export interface WindowRun extends AuthorizeRequest {
  /** A callback URL carrying a fresh code at the hostile provider for `grant` (bound to this request's nonce and PKCE challenge), plus `extra` parameters. */
  callbackWith(grant?: GrantSpec, extra?: Record<string, string>): URL;
  /** Goes to the hostile provider's authorize endpoint (auto-approval) and returns the callback URL it redirects to, without visiting it. */
  approve(): Promise<URL>;
  /** GETs a URL at the loopback server like a browser (follows the redirect to the final page). */
  visit(url: URL | string): Promise<RawResponse>;
}

/** A native-mode set-up: provider, stores and a manager wired to them. */
export interface NativeRig {
  op: HostileProvider;
  provider: GenericOIDCProvider;
  /** The manager's token store. */
  store: MemoryTokenStore;
  /** The store of the session manager the flow hands its tokens to. */
  sessionStore: MemoryTokenStore;
  session: SessionManager;
  manager: AuthFlowManager;
}

/** Options of {@link nativeRig}. */
export interface NativeRigOptions {
  /** Provider options over the defaults (client id and issuer of `op`). */
  provider?: Partial<GenericOIDCProviderOptions>;
  /** `authTimeout` in seconds. Default 20. */
  authTimeout?: number;
  usePkce?: boolean;
  loopback?: LoopbackOptions;
}

/** A fresh provider (no cached metadata or JWKS), stores, session manager and flow manager. */
export function nativeRig(op: HostileProvider, options: NativeRigOptions = {}): NativeRig {
  const provider = new GenericOIDCProvider({
    clientId: op.clientId,
    issuerUrl: op.issuer,
    timeoutSeconds: 5,
    ...options.provider,
  });
  const store = new MemoryTokenStore();
  const sessionStore = new MemoryTokenStore();
  const session = new SessionManager({
    provider,
    tokenStore: sessionStore,
    backgroundRefresh: false,
  });
  const manager = new AuthFlowManager({
    provider,
    tokenStore: store,
    sessionManager: session,
    authTimeout: options.authTimeout ?? 20,
    usePkce: options.usePkce,
    loopback: { finalPageWaitMs: 200, ...options.loopback },
  });
  return { op, provider, store, sessionStore, session, manager };
}

/** How a scripted flow ended. */
export interface FlowRun {
  result?: AuthFlowResult;
  error?: AuthenticationError;
  /** The authorization request, when the window was opened. */
  authorize?: AuthorizeRequest;
  /** How many times showWindow was called. */
  windowsOpened: number;
  /** Labels closeWindow was called with. */
  windowsClosed: (string | undefined)[];
}

/**
 * Runs a native flow whose window runs `script`. The flow's outcome is returned, never thrown;
 * a failing assertion inside the script fails the call (after the flow settled).
 */
export async function runScripted(
  rig: NativeRig,
  script: (run: WindowRun) => Promise<void>,
  options: Omit<RunNativeOptions, 'showWindow' | 'closeWindow'> = {},
): Promise<FlowRun> {
  const outcome: FlowRun = { windowsOpened: 0, windowsClosed: [] };
  let scripted: Promise<void> = Promise.resolve();
  let scriptError: unknown;
  const showWindow: ShowWindow = (url) => {
    outcome.windowsOpened += 1;
    const run = windowRun(rig.op, new URL(url));
    outcome.authorize = run;
    scripted = script(run).catch((error: unknown) => {
      scriptError = error;
      // A broken script must not leave the flow waiting for its full timeout.
      rig.manager.cancel();
    });
    return 'scripted-window';
  };
  try {
    outcome.result = await rig.manager.runNative({
      ...options,
      showWindow,
      closeWindow: (label) => {
        outcome.windowsClosed.push(label);
      },
    });
  } catch (error) {
    assert.ok(error instanceof AuthenticationError, `runNative threw a ${String(error)}`);
    outcome.error = error;
  }
  await scripted;
  if (scriptError !== undefined) throw scriptError;
  return outcome;
}

/** Expects the flow to have failed with `code` (and class), stored nothing, and leaked nothing. */
export async function assertRejected(
  rig: NativeRig,
  run: FlowRun,
  expected: { code: ErrorCode | ErrorCode[]; class?: new (...args: never[]) => Error },
): Promise<AuthenticationError> {
  assert.equal(run.result, undefined, 'the flow must not succeed');
  const error = run.error;
  assert.ok(error instanceof AuthenticationError, 'an AuthenticationError');
  assert.ok(error instanceof (expected.class ?? AuthenticationError), `class ${error.name}`);
  const codes = Array.isArray(expected.code) ? expected.code : [expected.code];
  assert.ok(codes.includes(error.code), `code ${error.code}, expected ${codes}; ${error.message}`);
  const state =
    error instanceof AuthFlowTimeout
      ? 'timed_out'
      : error instanceof AuthFlowCancelled
        ? 'cancelled'
        : 'failed';
  assert.equal(rig.manager.flowState, state);
  assertNoSecrets(error.message);
  assertNoSecrets(String((error as Error & { cause?: unknown }).cause ?? ''));
  assertNoSecrets(error.stack?.split('\n')[0] ?? '');
  await assertNothingStored(rig);
  assert.equal(run.windowsClosed.length, run.windowsOpened, 'closeWindow called for the window');
  return error;
}

/** Both stores are empty. */
export async function assertNothingStored(rig: NativeRig): Promise<void> {
  assert.deepEqual(await rig.store.listKeys(), [], 'nothing in the token store');
  assert.deepEqual(await rig.sessionStore.listKeys(), [], 'nothing handed to the session manager');
}

/** Requests the provider received after the `index`th one. */
export function requestsSince(op: HostileProvider, index: number): RecordedRequest[] {
  return op.requests.slice(index);
}

/**
 * After a failed code exchange: exactly `tokenRequests` token requests were made, and nothing
 * but key or metadata fetches followed the last one (no userinfo, no retry, no revocation).
 */
export function assertStoppedAfterToken(
  op: HostileProvider,
  since: number,
  tokenRequests = 1,
): void {
  const after = requestsSince(op, since);
  const routes = after.map((r) => r.route);
  assert.equal(
    routes.filter((r) => r === 'token').length,
    tokenRequests,
    `token requests: ${routes}`,
  );
  const lastToken = routes.lastIndexOf('token');
  // `authorize` is the browser's doing (a window script approving), not the flow's.
  const tail = routes
    .slice(lastToken + 1)
    .filter((r) => r !== 'jwks' && r !== 'discovery' && r !== 'authorize');
  assert.deepEqual(tail, [], `no request after the token response: ${routes}`);
}

function windowRun(op: HostileProvider, url: URL): WindowRun {
  const redirectUri = url.searchParams.get('redirect_uri') ?? '';
  const redirect = new URL(redirectUri);
  const params: AuthorizeRequest = {
    url,
    state: url.searchParams.get('state') ?? '',
    nonce: url.searchParams.get('nonce') ?? undefined,
    codeChallenge: url.searchParams.get('code_challenge') ?? undefined,
    codeChallengeMethod: url.searchParams.get('code_challenge_method') ?? undefined,
    redirectUri,
    loopbackOrigin: redirect.origin,
    port: Number(redirect.port),
  };
  return {
    ...params,
    callbackWith(grant = {}, extra = {}) {
      const code = op.issueCode({
        nonce: params.nonce,
        codeChallenge: params.codeChallenge,
        scope: url.searchParams.get('scope') ?? undefined,
        ...grant,
      });
      const callback = new URL(redirectUri);
      callback.searchParams.set('code', code);
      callback.searchParams.set('state', params.state);
      for (const [key, value] of Object.entries(extra)) callback.searchParams.append(key, value);
      return callback;
    },
    async approve() {
      const response = await fetch(url, { redirect: 'manual' });
      await response.body?.cancel();
      const location = response.headers.get('location');
      assert.ok(location, `the provider redirected (HTTP ${response.status})`);
      return new URL(location);
    },
    async visit(target) {
      const response = await fetch(new URL(target), { redirect: 'follow' });
      const body = await response.text();
      return { status: response.status, headers: Object.fromEntries(response.headers), body };
    },
  };
}

/**
 * Sends raw bytes over a TCP connection and returns whatever came back before the server
 * closed it (or `idleMs` of silence). `error` is the socket error code, if any.
 */
export function rawExchange(
  port: number,
  payload: string | Uint8Array,
  options: { idleMs?: number; address?: string; endAfterWrite?: boolean } = {},
): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host: options.address ?? '127.0.0.1', port });
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), error });
    };
    let timer = setTimeout(() => finish('idle'), options.idleMs ?? 5000);
    socket.on('connect', () => {
      socket.write(payload);
      if (options.endAfterWrite) socket.end();
    });
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(() => finish('idle'), options.idleMs ?? 5000);
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'error'));
  });
}

/** Status codes of every HTTP response in a raw byte stream (pipelined responses included). */
export function statusCodes(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
}
