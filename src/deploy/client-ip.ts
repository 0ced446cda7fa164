/**
 * The client's IP address, for rate limiting.
 *
 * @module
 */

/**
 * What a server adapter passes next to the request. `@hono/node-server` passes
 * `{ incoming, outgoing }` (Node's request and response); other runtimes may pass
 * `{ remoteAddress }` directly.
 */
export interface RequestEnv {
  /** The peer address, when the adapter knows it directly. */
  remoteAddress?: string;
  /** Node's IncomingMessage, as `@hono/node-server` passes it. */
  incoming?: { socket?: { remoteAddress?: string } };
}

/**
 * The client IP: the right-most `X-Forwarded-For` entry (the one the trusted proxy added)
 * when `trustProxy`, else the socket's peer address; `'unknown'` when neither is known.
 */
export function clientIp(request: Request, env: unknown, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for');
    const last = forwarded
      ?.split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0)
      .at(-1);
    if (last !== undefined && last.length <= 64) return last;
  }
  if (typeof env === 'object' && env !== null) {
    const { remoteAddress, incoming } = env as RequestEnv;
    const address = remoteAddress ?? incoming?.socket?.remoteAddress;
    if (typeof address === 'string' && address.length > 0) return address;
  }
  return 'unknown';
}
