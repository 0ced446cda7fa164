// oidc-provider prints "quick start" notices with console.warn/info (its defaults, and on
// Node 20 an "unsupported runtime" warning at import). The development provider configures
// everything those notices are about, so it silences just them, just while they can occur.

const NOISE = 'oidc-provider ';

type Log = (...args: unknown[]) => void;

let depth = 0;
let saved: { warn: Log; info: Log } | undefined;

function filtered(original: Log): Log {
  return (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes(NOISE)) return;
    original(...args);
  };
}

/**
 * Runs `fn` with oidc-provider's notices filtered out of console.warn and console.info.
 * Nested and concurrent calls share one filter, removed when the last one ends.
 */
export async function withoutProviderNotices<T>(fn: () => T | Promise<T>): Promise<T> {
  if (depth++ === 0) {
    saved = { warn: console.warn, info: console.info };
    console.warn = filtered(saved.warn);
    console.info = filtered(saved.info);
  }
  try {
    return await fn();
  } finally {
    if (--depth === 0 && saved !== undefined) {
      console.warn = saved.warn;
      console.info = saved.info;
      saved = undefined;
    }
  }
}
