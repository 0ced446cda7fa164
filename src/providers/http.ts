/**
 * The one place where providers' HTTP requests leave the process. openid-client calls this
 * through its `customFetch` hook, so every request — discovery, JWKS, token, userinfo,
 * revocation, device — gets the same guards:
 *
 * - plain `http://` only to loopback hosts, whatever a provider's metadata says;
 * - the caller's AbortSignal (carried per call with AsyncLocalStorage, because openid-client
 *   takes no signal) on top of openid-client's own timeout;
 * - the whole body read under that deadline and capped in size, so a provider that trickles
 *   or floods cannot hold or bloat the process.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type * as client from 'openid-client';
import { isAllowedUrl } from './url.js';

/** Largest response body accepted from a provider (1 MiB): metadata, JWKS and tokens are far smaller. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** A fetch implementation, as `globalThis.fetch`. */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Why {@link createProviderFetch} refused a request or a response. */
export type ProviderHttpFailure =
  | 'insecure_url'
  | 'response_too_large'
  | 'response_not_json'
  | 'malformed_token_response';

/**
 * Raised inside the fetch hook (or by a buffered response's `json()`); openid-client wraps it,
 * `recognizeProviderError` finds it again in the cause chain.
 */
export class ProviderHttpError extends Error {
  constructor(
    readonly failure: ProviderHttpFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderHttpError';
  }
}

/** Per-call state: the caller's signal and what has been sent so far. */
interface CallContext {
  signal?: AbortSignal;
  /** Set once a token endpoint request (one with `grant_type`) went out. */
  tokenRequestSent: boolean;
}

const calls = new AsyncLocalStorage<CallContext>();

/**
 * Provider calls in flight. On Node < 24 an enabled AsyncLocalStorage installs promise hooks
 * that tax every Promise in the process (each request a server answers, not only provider
 * calls): it is disabled again as soon as no call needs it.
 */
let inFlight = 0;

function runWithContext<T>(context: CallContext, fn: () => Promise<T>): Promise<T> {
  inFlight++;
  const settle = () => {
    inFlight--;
    if (inFlight === 0) calls.disable();
  };
  let result: Promise<T>;
  try {
    result = calls.run(context, fn);
  } catch (error) {
    settle();
    throw error;
  }
  return result.finally(settle);
}

/**
 * Runs `fn` with `signal` applied to every provider request it makes.
 *
 * @returns What `fn` returns, and the call's context for error classification.
 */
export function runProviderCall<T>(
  signal: AbortSignal | undefined,
  fn: (context: Readonly<CallContext>) => Promise<T>,
): Promise<T> {
  const context: CallContext = { signal, tokenRequestSent: false };
  return runWithContext(context, () => fn(context));
}

/**
 * Runs `fn` outside any caller's context: work shared between callers (discovery) must not
 * be cut short by one caller's signal.
 */
export function runDetached<T>(fn: () => Promise<T>): Promise<T> {
  return runWithContext({ tokenRequestSent: false }, fn);
}

/** Waits for `promise`, or rejects with the signal's reason as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Rewrites a buffered response before openid-client sees it (e.g. GitHub's HTTP 200 errors). */
export type ResponseHook = (
  request: {
    url: URL;
    method: string;
    isTokenRequest: boolean;
  },
  response: Response,
  body: Uint8Array<ArrayBuffer>,
) => Response | undefined;

/** Options of {@link createProviderFetch}. */
export interface ProviderFetchOptions {
  /** The fetch to send requests with. Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Largest accepted body in bytes. Default {@link MAX_RESPONSE_BYTES}. */
  maxResponseBytes?: number;
  /** Rewrites responses; see {@link ResponseHook}. */
  onResponse?: ResponseHook;
}

/** Builds the `customFetch` function given to openid-client (and used for providers' own APIs). */
export function createProviderFetch(options: ProviderFetchOptions = {}): client.CustomFetch {
  const limit = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  return async (url, init) => {
    const target = new URL(url);
    if (!isAllowedUrl(target)) {
      throw new ProviderHttpError(
        'insecure_url',
        `Refused to send a request to ${target.protocol}//${target.host}: only https:// (or http:// on loopback) is allowed.`,
      );
    }
    const context = calls.getStore();
    const isTokenRequest = init.body instanceof URLSearchParams && init.body.has('grant_type');
    if (isTokenRequest && context) context.tokenRequestSent = true;
    const signal = combineSignals(init.signal, context?.signal);
    const response = await (options.fetch ?? globalThis.fetch)(url, {
      ...(init as RequestInit),
      signal,
    });
    const body = await readBody(response, limit, signal);
    const buffered = new BufferedResponse(isNullBodyStatus(response.status) ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    const rewritten = options.onResponse?.(
      { url: target, method: init.method, isTokenRequest },
      buffered,
      body,
    );
    if (rewritten !== undefined) return rewritten;
    if (isTokenRequest) {
      checkTokenResponseShape(buffered.status, buffered.headers.get('content-type'), body);
    }
    return buffered;
  };
}

/**
 * A plain fetch through the same guards, for provider APIs outside openid-client (GitHub's
 * revocation). `timeoutSeconds` bounds the whole exchange.
 */
export function guardedFetch(
  fetcher: client.CustomFetch,
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string },
  timeoutSeconds: number,
): Promise<Response> {
  return fetcher(url.href, {
    method: init.method,
    headers: init.headers,
    body: init.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutSeconds * 1000),
  });
}

/**
 * A response read in full. Its `json()` rejects with a {@link ProviderHttpError} the error
 * mapping recognises, so "the body is not JSON" is told apart from a JWT segment that is not
 * JSON without reading openid-client's messages.
 */
class BufferedResponse extends Response {
  override async json(): Promise<unknown> {
    try {
      return await super.json();
    } catch {
      throw new ProviderHttpError(
        'response_not_json',
        "The provider's response announced JSON but its body is not JSON.",
      );
    }
  }
}

function combineSignals(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

function isNullBodyStatus(status: number): boolean {
  return status === 101 || status === 204 || status === 205 || status === 304;
}

async function readBody(
  response: Response,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(limit);
  }
  if (response.body === null) return new Uint8Array(new ArrayBuffer(0));
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw tooLarge(limit);
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  }
  const body = new Uint8Array(new ArrayBuffer(size));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function tooLarge(limit: number): ProviderHttpError {
  return new ProviderHttpError(
    'response_too_large',
    `The provider's response was larger than ${limit} bytes.`,
  );
}

/**
 * RFC 6749 §5.1 fields of a successful token response, checked before openid-client does so
 * that a malformed one is reported as such (authflow's `malformed_token_response`).
 * openid-client accepts `expires_in` as any string `parseFloat` reads ("12abc" → 12): it must
 * be a non-negative integer, or a digit string, which some providers send.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
function checkTokenResponseShape(
  status: number,
  contentType: string | null,
  body: Uint8Array<ArrayBuffer>,
): void {
  if (status !== 200) return;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return; // Not JSON: the buffered response's json() reports it.
  }
  // RFC 6749 §5.1: the token response is application/json. openid-client looks at the type
  // only when the body does not parse, so a JSON body served as text/html would pass.
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType ?? '')) {
    throw malformed('The token response is not served as application/json.');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return;
  const fields = json as Record<string, unknown>;
  for (const name of ['access_token', 'token_type'] as const) {
    if (typeof fields[name] !== 'string' || fields[name] === '') {
      throw malformed(`The token response has no valid "${name}".`);
    }
  }
  const refresh = fields.refresh_token;
  if (refresh !== undefined && (typeof refresh !== 'string' || refresh === '')) {
    throw malformed('The token response has an invalid "refresh_token".');
  }
  if (fields.scope !== undefined && typeof fields.scope !== 'string') {
    throw malformed('The token response has an invalid "scope".');
  }
  const expiresIn = fields.expires_in;
  if (expiresIn === undefined) return;
  const valid =
    (typeof expiresIn === 'number' && Number.isInteger(expiresIn) && expiresIn >= 0) ||
    (typeof expiresIn === 'string' && /^\d{1,30}$/.test(expiresIn));
  if (!valid) {
    throw malformed(
      'The token response has an invalid "expires_in" (it must be a non-negative integer).',
    );
  }
}

function malformed(message: string): ProviderHttpError {
  return new ProviderHttpError('malformed_token_response', message);
}
