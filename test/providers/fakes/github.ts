/**
 * A loopback fake of GitHub's OAuth and REST endpoints that plays GitHub's documented quirks:
 * the token endpoint answers errors with HTTP 200 and `{ error, error_description, error_uri }`
 * (also `authorization_pending` while polling a device code), scopes come comma-separated,
 * `token_type` is lower-case `bearer`, `/user` refuses requests without a User-Agent, a
 * private email is `null` in `/user` and listed in `/user/emails`, and tokens are revoked by
 * `DELETE /applications/{client_id}/token` with Basic auth and a JSON body.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGitHubRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface FakeGitHubOptions {
  clientId: string;
  clientSecret: string;
  /** The `email` field of `/user`. Default `null` (private). */
  userEmail?: string | null;
  /** Status of `/user/emails`. Default 200. */
  emailsStatus?: number;
  /** Device code polls answered `authorization_pending` (with HTTP 200) first. Default 1. */
  devicePendingPolls?: number;
}

export interface FakeGitHub {
  readonly origin: string;
  readonly requests: FakeGitHubRequest[];
  /** A code the token endpoint will accept once. */
  issueCode(): string;
  /** Whether the access token was revoked. */
  isRevoked(token: string): boolean;
  close(): Promise<void>;
}

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const codes = new Set<string>();
  const tokens = new Set<string>();
  const revoked = new Set<string>();
  const devices = new Map<string, number>();
  const requests: FakeGitHubRequest[] = [];
  const random = () => randomBytes(20).toString('hex');

  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      headers: { ...req.headers },
      body,
    });
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(value));
    };
    const githubError = (error: string, description: string) =>
      json(200, {
        error,
        error_description: description,
        error_uri: 'https://docs.github.com/apps/troubleshooting',
      });
    const bearer = () => {
      const header = String(req.headers.authorization ?? '');
      const match = /^(?:Bearer|token) (.+)$/.exec(header);
      return match && tokens.has(match[1] ?? '') && !revoked.has(match[1] ?? '')
        ? match[1]
        : undefined;
    };

    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(body);
      if (
        form.get('client_id') !== options.clientId ||
        form.get('client_secret') !== options.clientSecret
      ) {
        return githubError(
          'incorrect_client_credentials',
          'The client_id and/or client_secret passed are incorrect.',
        );
      }
      const grant = form.get('grant_type') ?? 'authorization_code';
      if (grant === 'refresh_token') {
        return githubError(
          'bad_refresh_token',
          'The refresh token passed is incorrect or expired.',
        );
      }
      if (grant === 'urn:ietf:params:oauth:grant-type:device_code') {
        const pending = devices.get(form.get('device_code') ?? '');
        if (pending === undefined)
          return githubError('expired_token', 'The device code has expired.');
        if (pending > 0) {
          devices.set(form.get('device_code') ?? '', pending - 1);
          return githubError(
            'authorization_pending',
            'The authorization request is still pending.',
          );
        }
      } else {
        const code = form.get('code') ?? '';
        if (!codes.delete(code)) {
          return githubError('bad_verification_code', 'The code passed is incorrect or expired.');
        }
      }
      const token = `gho_${random()}`;
      tokens.add(token);
      return json(200, {
        access_token: token,
        token_type: 'bearer',
        scope: 'read:user,user:email',
      });
    }
    if (req.method === 'POST' && url.pathname === '/login/device/code') {
      const deviceCode = random();
      devices.set(deviceCode, options.devicePendingPolls ?? 1);
      return json(200, {
        device_code: deviceCode,
        user_code: 'WDJB-MJHT',
        verification_uri: 'https://github.com/login/device',
        expires_in: 900,
        interval: 1,
      });
    }
    if (req.method === 'GET' && url.pathname === '/user') {
      if (!req.headers['user-agent']) {
        return json(403, {
          message:
            'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.',
        });
      }
      if (!bearer()) return json(401, { message: 'Bad credentials' });
      return json(200, {
        login: 'octocat',
        id: 583231,
        name: 'The Octocat',
        email: options.userEmail === undefined ? null : options.userEmail,
      });
    }
    if (req.method === 'GET' && url.pathname === '/user/emails') {
      if (!bearer()) return json(401, { message: 'Bad credentials' });
      if ((options.emailsStatus ?? 200) !== 200) {
        return json(options.emailsStatus ?? 404, { message: 'Not Found' });
      }
      return json(200, [
        { email: 'old@example.com', primary: false, verified: true, visibility: null },
        { email: 'unverified@example.com', primary: true, verified: false, visibility: null },
        { email: 'octocat@github.com', primary: true, verified: true, visibility: 'private' },
      ]);
    }
    const revoke = /^\/applications\/([^/]+)\/token$/.exec(url.pathname);
    if (req.method === 'DELETE' && revoke) {
      const expected = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;
      let token: unknown;
      try {
        token = JSON.parse(body).access_token;
      } catch {
        token = undefined;
      }
      if (
        decodeURIComponent(revoke[1] ?? '') !== options.clientId ||
        req.headers.authorization !== expected ||
        typeof token !== 'string' ||
        !tokens.has(token)
      ) {
        return json(404, { message: 'Not Found' });
      }
      revoked.add(token);
      res.writeHead(204).end();
      return;
    }
    json(404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    issueCode() {
      const code = random();
      codes.add(code);
      return code;
    },
    isRevoked: (token) => revoked.has(token),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
