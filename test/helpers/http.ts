/**
 * Talking to a local server the way a local process (or an attacker next to the browser) does:
 * one plain HTTP request with node:http, and a bare TCP connect. Not a test file itself.
 */
import { request } from 'node:http';
import { connect } from 'node:net';

/** A plain HTTP response, as a browser or a local process would get it. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Options of {@link httpRequest}. */
export interface HttpRequestOptions {
  method?: string;
  /** Host header; default `127.0.0.1:<port>`. `null` sends none (HTTP/1.0 style). */
  host?: string | null;
  headers?: Record<string, string>;
  body?: string;
  /** Address to connect to. Default 127.0.0.1. */
  address?: string;
}

/** One request from a local process (node:http, no agent, no redirects followed). */
export function httpRequest(
  port: number,
  path: string,
  options: HttpRequestOptions = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    const req = request(
      {
        host: options.address ?? '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        agent: false,
        setHost: options.host === undefined,
        headers: options.host ? { ...headers, host: options.host } : headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Tries to open a TCP connection; resolves the error code, or `'connected'`. */
export function tryConnect(host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    socket.on('connect', () => done('connected'));
    socket.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
  });
}
