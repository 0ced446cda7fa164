/**
 * Reading small form bodies in the development provider's own routes.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';

const LIMIT = 16 * 1024;

/**
 * Reads a small `application/x-www-form-urlencoded` body. Returns `undefined` for another
 * content type or a body over 16 KiB (the rest is drained, not parsed).
 */
export async function readFormBody(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = req.headers['content-type'] ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= LIMIT) chunks.push(chunk as Buffer);
  }
  if (size > LIMIT || !type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return undefined;
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
