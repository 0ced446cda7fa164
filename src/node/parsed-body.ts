/**
 * Gives the auth routes their request body back when a framework's body parser read it first
 * (Express's `express.json()` / `express.urlencoded()` mounted before authflow, Fastify's
 * content-type parsers): `@hono/node-server` takes `rawBody` as the body when it is set.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';

/** A Node request as frameworks leave it: maybe parsed into `body`, maybe with `rawBody`. */
export interface ParsedRequest extends IncomingMessage {
  /** What a body parser made of the body (object, string or Buffer). */
  body?: unknown;
  /** The body bytes, read by `@hono/node-server` instead of the (already consumed) stream. */
  rawBody?: Buffer;
}

/**
 * Sets `req.rawBody` from what a body parser left, when the body stream was consumed: bytes as
 * they are, text as UTF-8, a form as `application/x-www-form-urlencoded`, anything else as
 * JSON. Does nothing when the stream is still unread.
 */
export function restoreParsedBody(req: ParsedRequest): void {
  if (Buffer.isBuffer(req.rawBody)) return;
  const { body } = req;
  if (body === undefined && !req.readableEnded) return;
  let bytes: Buffer;
  if (body === undefined || body === null) bytes = Buffer.alloc(0);
  else if (Buffer.isBuffer(body)) bytes = body;
  else if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
  else if (isForm(req) && typeof body === 'object') bytes = Buffer.from(formOf(body), 'utf8');
  else bytes = Buffer.from(JSON.stringify(body), 'utf8');
  req.rawBody = bytes;
  req.headers['content-length'] = String(bytes.length);
}

function isForm(req: IncomingMessage): boolean {
  return /^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '');
}

/** A parsed form back to its encoding (repeated fields as repeated names). */
function formOf(body: object): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(name, String(item));
  }
  return params.toString();
}
