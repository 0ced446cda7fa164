// Test fixtures around the embedded development provider (src/dev).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type DevProvider,
  type DevProviderOptions,
  startDevProvider,
} from '../../src/dev/index.js';
import { useStarted } from './fixture.js';

export type { DevProvider, DevProviderOptions } from '../../src/dev/index.js';
export { startDevProvider };

/**
 * node:test fixture: starts a development provider before the tests of the enclosing
 * `describe` (or file) and closes it after them, even when they fail. The returned function
 * gives the provider inside tests.
 */
export function useDevProvider(options: DevProviderOptions = {}): () => DevProvider {
  return useStarted(
    'useDevProvider()',
    () => startDevProvider(options),
    (provider) => provider.close(),
  );
}

/**
 * The HTTP status of the provider's authorization endpoint for a PKCE code request by
 * `clientId` with `redirectUri`, redirects not followed: 303 when it accepts the request
 * (login page next), 400 when it refuses the client or redirect URI.
 */
export function authorizeStatus(
  issuer: string,
  clientId: string,
  redirectUri: string,
): Promise<number> {
  const url = new URL('/auth', issuer);
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString();
  return fetch(url, { redirect: 'manual' }).then((response) => response.status);
}

/** A loopback HTTP server that records the requests the provider redirects the browser to. */
export interface RedirectCatcher {
  /** `http://127.0.0.1:<port>/callback` */
  readonly redirectUri: string;
  /** Resolves with the URL of the next request to the catcher (or one already received). */
  next(): Promise<URL>;
  /** Stops the server and closes its connections. */
  close(): Promise<void>;
}

/** Starts a {@link RedirectCatcher} on 127.0.0.1 (random port). Answers every request with a small page. */
export async function startRedirectCatcher(path = '/callback'): Promise<RedirectCatcher> {
  const received: URL[] = [];
  const waiting: ((url: URL) => void)[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end('<!DOCTYPE html><title>Callback received</title><p>Callback received.</p>');
    const waiter = waiting.shift();
    if (waiter) waiter(url);
    else received.push(url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${port}${path}`,
    next: () => {
      const url = received.shift();
      return url ? Promise.resolve(url) : new Promise<URL>((resolve) => waiting.push(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
