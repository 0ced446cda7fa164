/**
 * oauth2-mock-server (npm), an independent OpenID mock, as an interop provider.
 *
 * What it is: no login page (its /authorize redirects at once with a code), one fixed user
 * `johndoe`, any client id and redirect URI accepted, no client authentication checked. The
 * ID token's `aud` is the client id as sent: the HTTP Basic user name verbatim (it does not
 * form-decode it) or the body's `client_id`. Refresh tokens are new on every grant but never
 * checked, revocation always answers 200 and changes nothing, and there is no device endpoint.
 */
import { OAuth2Server } from 'oauth2-mock-server';
import { freePort } from '../../helpers/ports.js';
import { type InteropProvider, untilRedirect } from './types.js';

/** Starts oauth2-mock-server on 127.0.0.1 (random port). */
export async function startOAuth2Mock(): Promise<InteropProvider> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  // It would announce http://localhost:<port>; everything here stays on 127.0.0.1.
  server.issuer.url = `http://127.0.0.1:${server.address().port}`;
  const dead = new Set<string>();
  // It never checks a refresh token. Its documented hook plays a server that knows this one is
  // dead, so the dead-refresh-token scenario has something to meet.
  server.service.on('beforeResponse', (response, req) => {
    const body = (req as { body?: Record<string, unknown> }).body;
    if (body?.grant_type === 'refresh_token' && dead.has(String(body.refresh_token))) {
      response.statusCode = 400;
      response.body = { error: 'invalid_grant', error_description: 'refresh token revoked' };
    }
  });
  const [nativePort, deployPort] = await Promise.all([freePort(), freePort()]);
  let closed = false;
  return {
    name: 'oauth2-mock-server',
    issuer: server.issuer.url as string,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    // Ids with -._~ : the characters issue 8 found percent-encoded in Basic credentials.
    publicClient: { clientId: 'interop-native.app_~1' },
    confidentialClient: { clientId: 'interop-web.app_~1', clientSecret: 'mock-se.cr_et~1' },
    nativePort,
    deployPort,
    subject: 'johndoe',
    capabilities: {
      exactRedirectUris: false,
      rotatesRefreshTokens: true,
      reuseRevokesChain: false,
      publicClientRevocation: true,
      oneUseRefreshTokens: false,
      enforcesRevocation: false,
      userinfoChecksRevocation: false,
      deviceFlow: false,
    },
    async signIn(page, url, redirectPrefix) {
      // No login page: the authorization endpoint redirects straight back.
      await untilRedirect(page, redirectPrefix, () => page.goto(url));
    },
    killRefreshToken(refreshToken) {
      dead.add(refreshToken);
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.stop();
    },
  };
}
