/**
 * Keeps the arguments of failed Redis commands out of the app's logs. ioredis attaches
 * `command: { name, args }` to the errors of its commands, and those arguments are keys and
 * values: a session id, a pending login's PKCE verifier, a token set's JSON with its refresh
 * token. An error handed to `onError` (or carried by a StoreUnavailableError) keeps the
 * command's name only.
 *
 * @module
 */

/** How deep the causes of an error are followed (a cycle or a very long chain stops there). */
const MAX_DEPTH = 8;

/**
 * Replaces `command` by `{ name }` on `error` and on every error it wraps (`cause`, an
 * AggregateError's `errors`, ioredis' `previousErrors` and `lastNodeError`), in place, so that
 * the errors stay the same objects (`instanceof` checks still hold). Returns `error`.
 */
export function redactCommandArgs<T>(error: T): T {
  const seen = new Set<object>();
  const visit = (value: unknown, depth: number): void => {
    if (typeof value !== 'object' || value === null || depth > MAX_DEPTH || seen.has(value)) {
      return;
    }
    seen.add(value);
    const record = value as Record<string, unknown>;
    const command = record.command;
    if (typeof command === 'object' && command !== null && 'args' in command) {
      try {
        record.command = { name: (command as { name?: unknown }).name };
      } catch {
        // A frozen error is not ioredis': nothing of ours to redact.
      }
    }
    visit(record.cause, depth + 1);
    visit(record.lastNodeError, depth + 1);
    for (const list of [record.errors, record.previousErrors]) {
      if (Array.isArray(list)) for (const item of list) visit(item, depth + 1);
    }
  };
  visit(error, 0);
  return error;
}
