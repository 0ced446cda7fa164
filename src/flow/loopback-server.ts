/**
 * The ephemeral loopback server of native mode (RFC 8252 §7.3): it waits for the
 * one authorization response that carries this flow's `state`, and refuses everything else.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-7.3 RFC 8252 §7.3, loopback interface redirection}
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-8.3 RFC 8252 §8.3, loopback redirect considerations}
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AuthenticationError, ErrorCodes } from '../errors.js';
import { defaultErrorPage, defaultSuccessPage, type LoopbackPages } from './pages.js';

/** Options for the loopback server. */
export interface LoopbackOptions {
  /** Port to listen on. Default 0: a random free port. */
  port?: number;
  /** Ports to try in order, for providers that need pre-registered ports. Overrides `port`. */
  ports?: number[];
  /** Path of the redirect URI. Default `/callback`. */
  callbackPath?: string;
  /** How many bad requests (wrong state, path, method or Host) to tolerate before failing the flow. Default 32. */
  maxBadRequests?: number;
  /** Page templates. */
  pages?: LoopbackPages;
  /** How long to wait for the browser to load the final page before closing, in milliseconds. Default 2000. */
  finalPageWaitMs?: number;
}

/** Why a request to the loopback server is refused. */
interface Refusal {
  status: number;
  message: string;
  /** Whether it counts towards `maxBadRequests`. Default true. */
  counts?: boolean;
}

/** How the flow ended, for the page the browser is shown. */
export type FlowOutcome = { ok: true } | { ok: false; title: string; message: string };

const HOST = '127.0.0.1';
const DONE_PATH = '/done';
const MAX_HEADER_BYTES = 8 * 1024;

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compares two strings in constant time (hashing first makes the lengths equal). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * A started loopback server. Create with {@link startLoopbackServer}; always call
 * {@link LoopbackServer.close}.
 */
export class LoopbackServer {
  /** The port it listens on. */
  readonly port: number;
  /** The redirect URI to send to the provider, e.g. `http://127.0.0.1:53412/callback`. */
  readonly redirectUri: string;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #callbackPath: string;
  readonly #expectedState: string;
  readonly #maxBadRequests: number;
  readonly #pages: Required<LoopbackPages>;
  readonly #provider: string;
  readonly #finalPageWaitMs: number;
  #badRequests = 0;
  #captured = false;
  #closed = false;
  #outcome: FlowOutcome | undefined;
  #pendingDone: ServerResponse[] = [];
  #doneRequested: (() => void) | undefined;
  #settle!: { resolve: (url: URL) => void; reject: (error: unknown) => void };
  /** Resolves with the full callback URL once the right callback arrives. */
  readonly callback: Promise<URL>;

  /** @internal Use {@link startLoopbackServer}. */
  constructor(
    server: Server,
    port: number,
    options: LoopbackOptions & { expectedState: string; provider: string },
  ) {
    this.#server = server;
    this.port = port;
    this.#callbackPath = options.callbackPath ?? '/callback';
    this.redirectUri = `http://${HOST}:${port}${this.#callbackPath}`;
    this.#expectedState = options.expectedState;
    this.#maxBadRequests = options.maxBadRequests ?? 32;
    this.#provider = options.provider;
    this.#finalPageWaitMs = options.finalPageWaitMs ?? 2000;
    this.#pages = {
      success: options.pages?.success ?? defaultSuccessPage,
      error: options.pages?.error ?? defaultErrorPage,
    };
    this.callback = new Promise<URL>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    // Callers may never await `callback` (e.g. the flow was cancelled first).
    this.callback.catch(() => {});
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (req, res) => this.#handle(req, res));
    server.on('clientError', (_error, socket) => {
      // Oversized or malformed requests: answer without involving the flow.
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /**
   * Shows the flow's outcome to the browser (on the page it was redirected to after the
   * callback), then stops the server and closes every connection.
   */
  async close(outcome?: FlowOutcome): Promise<void> {
    if (this.#closed) return;
    this.#outcome = outcome ?? {
      ok: false,
      title: 'Sign-in ended',
      message: 'You can close this window.',
    };
    if (this.#captured && this.#pendingDone.length === 0) {
      // The browser was sent to the final page; give it a moment to ask for it.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#finalPageWaitMs);
        this.#doneRequested = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#closed = true;
    for (const res of this.#pendingDone) this.#sendOutcome(res);
    this.#pendingDone = [];
    this.#settle.reject(
      new AuthenticationError('The loopback server was closed.', { code: ErrorCodes.CANCELLED }),
    );
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      // Keep-alive connections would hold close() open. Flush what was written (the final
      // page), then drop each connection without waiting for the browser to hang up.
      for (const socket of this.#sockets) {
        if (socket.writableLength > 0) socket.end(() => socket.destroy());
        else socket.destroy();
      }
      setTimeout(() => {
        for (const socket of this.#sockets) socket.destroy();
      }, 1000).unref();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const refusal = this.#serve(req, res);
    if (refusal !== undefined) {
      this.#reject(res, refusal.status, refusal.message, refusal.counts ?? true);
    }
  }

  /** Serves the callback or the final page; for anything else, says why it is refused. */
  #serve(req: IncomingMessage, res: ServerResponse): Refusal | undefined {
    if (this.#closed) return { status: 410, message: 'This sign-in has ended.', counts: false };
    const url = this.#parseUrl(req);
    if (req.method !== 'GET' || url === undefined) {
      return { status: req.method === 'GET' ? 400 : 405, message: 'This request is not allowed.' };
    }
    if (!this.#hostIsOurs(req.headers.host)) {
      // DNS rebinding: a page on another name that resolves to 127.0.0.1.
      return { status: 421, message: 'This request was sent to the wrong host.' };
    }
    if (url.pathname === DONE_PATH && this.#captured) {
      this.#done(res);
      return undefined;
    }
    if (url.pathname !== this.#callbackPath) {
      return { status: 404, message: 'Not found.', counts: url.pathname !== '/favicon.ico' };
    }
    if (this.#captured) return { status: 409, message: 'This sign-in was already completed.' };
    const states = url.searchParams.getAll('state');
    const [state] = states;
    if (states.length !== 1 || state === undefined || !safeEqual(state, this.#expectedState)) {
      return {
        status: 400,
        message:
          'This sign-in response does not belong to the sign-in in progress. Return to the application and try again.',
      };
    }
    this.#captured = true;
    // Send the browser to a clean URL so the code does not stay in its address bar and history.
    res.writeHead(303, { ...SECURITY_HEADERS, Location: DONE_PATH, 'Content-Length': '0' });
    res.end();
    this.#settle.resolve(url);
    return undefined;
  }

  #done(res: ServerResponse): void {
    if (this.#outcome !== undefined) {
      this.#sendOutcome(res);
      // close() may be waiting for this very request; it is served, so stop waiting.
      this.#doneRequested?.();
      return;
    }
    this.#pendingDone.push(res);
    this.#doneRequested?.();
  }

  #sendOutcome(res: ServerResponse): void {
    const outcome = this.#outcome ?? { ok: false, title: 'Sign-in ended', message: '' };
    if (outcome.ok) {
      this.#send(res, 200, this.#pages.success({ provider: this.#provider }));
    } else {
      this.#send(
        res,
        400,
        this.#pages.error({
          provider: this.#provider,
          status: 400,
          title: outcome.title,
          message: outcome.message,
        }),
      );
    }
  }

  #parseUrl(req: IncomingMessage): URL | undefined {
    const target = req.url ?? '';
    // Only origin-form targets (`/path?query`); absolute-form would let a proxy-style request pick its own host.
    if (!target.startsWith('/') || target.startsWith('//')) return undefined;
    try {
      return new URL(target, `http://${HOST}:${this.port}`);
    } catch {
      return undefined;
    }
  }

  #hostIsOurs(host: string | undefined): boolean {
    return host !== undefined && host.toLowerCase() === `${HOST}:${this.port}`;
  }

  #reject(res: ServerResponse, status: number, message: string, counts = true): void {
    this.#send(
      res,
      status,
      this.#pages.error({
        provider: this.#provider,
        status,
        title: 'Sign-in request refused',
        message,
      }),
      true,
    );
    if (!counts || this.#captured || this.#closed) return;
    this.#badRequests += 1;
    if (this.#badRequests > this.#maxBadRequests) {
      this.#settle.reject(
        new AuthenticationError(
          `The loopback server received more than ${this.#maxBadRequests} invalid requests; another program may be probing it. Try signing in again.`,
          { code: ErrorCodes.VALIDATION_FAILED, provider: this.#provider },
        ),
      );
    }
  }

  #send(res: ServerResponse, status: number, html: string, close = false): void {
    const body = Buffer.from(html, 'utf8');
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(body.length),
      ...(close ? { Connection: 'close' } : {}),
    });
    res.end(body);
  }
}

/**
 * Starts a loopback server on 127.0.0.1 (never another address) for one flow.
 * Rejects with `AuthenticationError` (`port_in_use`) naming the port when none of the ports is free.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-8.3 RFC 8252 §8.3: listen on the loopback address, not "localhost"}
 */
export async function startLoopbackServer(
  options: LoopbackOptions & { expectedState: string; provider: string },
): Promise<LoopbackServer> {
  const ports = options.ports?.length ? options.ports : [options.port ?? 0];
  const taken: number[] = [];
  for (const port of ports) {
    const server = createServer({
      maxHeaderSize: MAX_HEADER_BYTES,
      requestTimeout: 30_000,
      headersTimeout: 10_000,
      keepAliveTimeout: 1_000,
    });
    server.maxHeadersCount = 50;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: HOST, port, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ||
        (error as NodeJS.ErrnoException).code === 'EACCES'
      ) {
        taken.push(port);
        continue;
      }
      throw new AuthenticationError(`Cannot start the loopback server on ${HOST}:${port}.`, {
        code: ErrorCodes.INTERNAL,
        cause: error,
      });
    }
    const address = server.address();
    const actualPort = typeof address === 'object' && address !== null ? address.port : port;
    return new LoopbackServer(server, actualPort, options);
  }
  const list = taken.join(', ');
  throw new AuthenticationError(
    `Port ${list} on ${HOST} is already in use, so the sign-in callback cannot be received. Close the program using it, or configure other ports (and register http://${HOST}:<port>${options.callbackPath ?? '/callback'} with the provider).`,
    { code: ErrorCodes.PORT_IN_USE, provider: options.provider },
  );
}
