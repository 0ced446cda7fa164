/**
 * The authlib authorization server of `test/interop/fixtures/authlib_server.py` (Debian
 * python3-authlib) as an interop provider: a login form, code + PKCE (S256 required), OIDC ID
 * tokens, one-use rotating refresh tokens, RFC 7009 revocation, userinfo. Redirect URIs are
 * matched exactly, so native sign-ins use a fixed loopback port. No device endpoint.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../helpers/ports.js';
import { type InteropProvider, untilRedirect } from './types.js';

const SCRIPT = fileURLToPath(new URL('../fixtures/authlib_server.py', import.meta.url));
/** Debian's python3-authlib is installed for the system Python. */
const PYTHON = '/usr/bin/python3';

/** Options of {@link startAuthlib}. */
export interface AuthlibOptions {
  /** Access token lifetime in seconds. Default 3600. */
  accessTokenTtl?: number;
}

/** Starts the authlib server on 127.0.0.1 (random port). */
export async function startAuthlib(options: AuthlibOptions = {}): Promise<InteropProvider> {
  const [nativePort, deployPort] = await Promise.all([freePort(), freePort()]);
  const native = `http://127.0.0.1:${nativePort}/callback`;
  const publicClient = { clientId: 'interop-native.app_~1' };
  const confidentialClient = { clientId: 'interop-web.app_~1', clientSecret: 'authlib-se.cr_et~1' };
  const config = {
    port: 0,
    access_token_ttl: options.accessTokenTtl ?? 3600,
    clients: [
      {
        client_id: publicClient.clientId,
        redirect_uris: [native],
        token_endpoint_auth_method: 'none',
      },
      {
        client_id: confidentialClient.clientId,
        client_secret: confidentialClient.clientSecret,
        redirect_uris: [native, `http://127.0.0.1:${deployPort}/auth/callback`],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    users: { alice: { password: 'alice-password', name: 'Alice', email: 'alice@example.test' } },
  };
  const child = spawn(PYTHON, [SCRIPT, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let port: number;
  try {
    port = await listening(child);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    name: 'authlib',
    issuer: `http://127.0.0.1:${port}`,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    publicClient,
    confidentialClient,
    nativePort,
    deployPort,
    subject: 'alice',
    capabilities: {
      exactRedirectUris: true,
      rotatesRefreshTokens: true,
      reuseRevokesChain: false,
      publicClientRevocation: true,
      oneUseRefreshTokens: true,
      enforcesRevocation: true,
      userinfoChecksRevocation: true,
      deviceFlow: false,
    },
    async signIn(page, url, redirectPrefix) {
      await page.goto(url);
      await page.fill('#username', 'alice');
      await page.fill('#password', 'alice-password');
      await untilRedirect(page, redirectPrefix, () => page.click('#sign-in'));
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('close', () => resolve());
        child.kill('SIGTERM');
        // SIGTERM is enough; this is only for a server stuck in a request.
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
      return closed;
    },
  };
}

/** Resolves with the port once the server printed `listening <port>`; rejects if it dies first. */
function listening(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`The authlib server did not start in 15 s.\n${err}`)),
      15_000,
    );
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /listening (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The authlib server exited (code ${code}) before listening.\n${err}`));
    });
  });
}
