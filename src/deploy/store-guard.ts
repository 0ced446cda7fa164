/**
 * Bounds every store call in time and turns its failures into {@link StoreUnavailableError},
 * so that a down or hung Redis gives a quick 503, never a hanging request or a 500.
 *
 * @module
 */
import { AuthenticationError, ErrorCodes } from '../errors.js';
import type { TokenStore } from '../stores/types.js';
import { redactCommandArgs } from './redact-command-args.js';
import type { SessionStore } from './session-store.js';

/** The session or token store could not be reached in time. Routes answer 503 `store_unavailable`. */
export class StoreUnavailableError extends AuthenticationError {
  constructor(options: { cause?: unknown } = {}) {
    super(
      'The session store is unavailable (is Redis up?). Requests succeed again once it is back.',
      {
        code: ErrorCodes.STORE_ERROR,
        // The failed command's arguments (keys, token sets) never travel with the error.
        cause: redactCommandArgs(options.cause),
      },
    );
  }
}

/**
 * Runs `operation`, rejecting with StoreUnavailableError when it fails or takes over
 * `timeoutMs` (no deadline when `undefined`: the client bounds its commands itself).
 */
export function bounded<T>(operation: () => Promise<T>, timeoutMs: number | undefined): Promise<T> {
  if (timeoutMs === undefined) {
    try {
      return operation().catch((cause) => {
        throw cause instanceof StoreUnavailableError ? cause : new StoreUnavailableError({ cause });
      });
    } catch (cause) {
      return Promise.reject(new StoreUnavailableError({ cause }));
    }
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreUnavailableError()), timeoutMs);
    let pending: Promise<T>;
    try {
      pending = operation();
    } catch (cause) {
      clearTimeout(timer);
      reject(new StoreUnavailableError({ cause }));
      return;
    }
    // The late outcome of a timed-out call is handled here too: no unhandled rejection.
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (cause) => {
        clearTimeout(timer);
        reject(
          cause instanceof StoreUnavailableError ? cause : new StoreUnavailableError({ cause }),
        );
      },
    );
  });
}

/** Wraps every method of `target` with {@link bounded}. */
function guard<T extends object>(
  target: T,
  methods: readonly (keyof T)[],
  timeoutMs: number | undefined,
): T {
  const wrapped = Object.create(target) as T;
  for (const name of methods) {
    // Optional methods the store does not have stay missing (callers check for them).
    if (typeof target[name] !== 'function') continue;
    const method = target[name] as unknown as (...args: unknown[]) => Promise<unknown>;
    (wrapped as Record<keyof T, unknown>)[name] = (...args: unknown[]) =>
      bounded(() => method.apply(target, args), timeoutMs);
  }
  return wrapped;
}

/** A session store whose calls are bounded by `timeoutMs`. */
export function guardSessionStore(
  store: SessionStore,
  timeoutMs: number | undefined,
): SessionStore {
  return guard(
    store,
    [
      'get',
      'set',
      'delete',
      'touch',
      'putPendingLogin',
      'takePendingLogin',
      'hit',
      'acquireLock',
      'renewLock',
      'releaseLock',
      'isLocked',
    ],
    timeoutMs,
  );
}

/** A token store whose calls are bounded by `timeoutMs`. */
export function guardTokenStore(store: TokenStore, timeoutMs: number | undefined): TokenStore {
  return guard(store, ['save', 'load', 'delete', 'exists', 'listKeys'], timeoutMs);
}
