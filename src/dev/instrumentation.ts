/**
 * What tests watch and bend on the development provider: request counters and injected
 * faults.
 *
 * @module
 */
import type { Middleware } from 'oidc-provider';
import { readFormBody } from './request-body.js';
import type { DevFault, DevFaultEndpoint, TokenRequestCounters } from './types.js';

const GRANT_COUNTERS: Readonly<Record<string, keyof TokenRequestCounters>> = {
  authorization_code: 'authorization_code',
  refresh_token: 'refresh_token',
  'urn:ietf:params:oauth:grant-type:device_code': 'device_code',
};

/** Paths of the endpoints the instrumentation watches. */
export interface InstrumentedPaths {
  token: string;
  userinfo: string;
  deviceAuthorization: string;
}

/**
 * Counters and fault injection for tests, plus the device flow polling interval. A small Koa
 * middleware in front of oidc-provider's own routes.
 */
export class Instrumentation {
  /** Live counters; mutated in place so callers may keep a reference. */
  readonly counters: TokenRequestCounters = {
    authorization_code: 0,
    refresh_token: 0,
    device_code: 0,
    other: 0,
    total: 0,
  };
  #fault: DevFault | null = null;
  readonly #hanging = new Set<() => void>();
  readonly #paths: InstrumentedPaths;
  readonly #devicePollInterval: number;

  constructor(paths: InstrumentedPaths, devicePollInterval: number) {
    this.#paths = paths;
    this.#devicePollInterval = devicePollInterval;
  }

  reset(): void {
    for (const key of Object.keys(this.counters) as (keyof TokenRequestCounters)[]) {
      this.counters[key] = 0;
    }
  }

  setFault(fault: DevFault | null): void {
    if (fault !== null && !['token', 'userinfo'].includes(fault.endpoint)) {
      throw new TypeError(
        `Unknown fault endpoint ${String(fault.endpoint)}: use 'token' or 'userinfo'.`,
      );
    }
    if (fault !== null && !['status500', 'hang', 'html'].includes(fault.kind)) {
      throw new TypeError(
        `Unknown fault kind ${String(fault.kind)}: use 'status500', 'hang' or 'html'.`,
      );
    }
    this.#fault = fault === null ? null : { ...fault };
  }

  /** Ends every hanging request (with a 503) so the server can close. */
  releaseHanging(): void {
    for (const release of this.#hanging) release();
    this.#hanging.clear();
  }

  #count(grantType: unknown): void {
    const key = typeof grantType === 'string' ? GRANT_COUNTERS[grantType] : undefined;
    this.counters[key ?? 'other'] += 1;
    this.counters.total += 1;
  }

  #endpointOf(path: string): DevFaultEndpoint | undefined {
    if (path === this.#paths.token) return 'token';
    if (path === this.#paths.userinfo) return 'userinfo';
    return undefined;
  }

  middleware(): Middleware {
    return async (ctx, next) => {
      const endpoint = this.#endpointOf(ctx.path);
      const fault = this.#fault;
      if (endpoint !== undefined && fault?.endpoint === endpoint) {
        // The real endpoint never sees the request, so read the grant type here.
        const form = await readFormBody(ctx.req);
        if (endpoint === 'token') this.#count(form?.get('grant_type'));
        if (fault.kind === 'hang') {
          await new Promise<void>((resolve) => this.#hanging.add(resolve));
          ctx.status = 503;
          ctx.body = { error: 'temporarily_unavailable' };
        } else if (fault.kind === 'html') {
          ctx.status = 200;
          ctx.type = 'html';
          ctx.body = '<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>';
        } else {
          ctx.status = 500;
          ctx.body = {
            error: 'server_error',
            error_description: 'injected fault (authflow dev provider)',
          };
        }
        return;
      }
      try {
        await next();
      } finally {
        if (endpoint === 'token' && ctx.method === 'POST') {
          this.#count(ctx.oidc?.params?.grant_type ?? ctx.oidc?.body?.grant_type);
        }
      }
      if (ctx.path === this.#paths.deviceAuthorization && ctx.status === 200) {
        const body = ctx.body as Record<string, unknown> | undefined;
        if (body && typeof body === 'object' && 'device_code' in body) {
          body.interval = this.#devicePollInterval;
        }
      }
    };
  }
}
