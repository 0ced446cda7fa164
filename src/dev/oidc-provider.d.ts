// oidc-provider ships no type declarations. This declares only the small surface the
// development provider uses; it is not part of authflow's public types.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type UnknownObject = Record<string, unknown>;

  /** The subset of Koa's context used by the development provider's middleware. */
  export interface KoaContext {
    req: IncomingMessage;
    res: ServerResponse;
    method: string;
    path: string;
    status: number;
    body: unknown;
    type: string;
    readonly headerSent: boolean;
    set(field: string, value: string): void;
    redirect(url: string): void;
    oidc?: {
      params?: UnknownObject;
      body?: UnknownObject;
      route?: string;
      client?: ClientInstance;
      entities?: UnknownObject;
    };
  }

  export type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void> | void;

  export interface ClientInstance {
    clientId: string;
    clientName?: string;
    clientAuthMethod: string;
    applicationType: string;
    redirectUris: string[];
    postLogoutRedirectUris?: string[];
    grantTypeAllowed(type: string): boolean;
    redirectUriAllowed(value: string): boolean;
    postLogoutRedirectUriAllowed(value: string): boolean;
  }

  export interface Prompt {
    name: string;
    reasons: string[];
    details: {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
      rar?: UnknownObject[];
    };
  }

  export interface InteractionDetails {
    uid: string;
    prompt: Prompt;
    params: UnknownObject & { client_id?: string; scope?: string };
    session?: { accountId?: string };
    grantId?: string;
  }

  export interface GrantInstance {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(indicator: string, scope: string): void;
    addRar(detail: UnknownObject): void;
    save(): Promise<string>;
  }

  export interface GrantConstructor {
    new (init: { accountId: string; clientId: string }): GrantInstance;
    find(id: string): Promise<GrantInstance | undefined>;
  }

  export class Provider {
    constructor(issuer: string, configuration: UnknownObject);
    proxy: boolean;
    readonly issuer: string;
    readonly Client: {
      prototype: ClientInstance;
      find(id: string): Promise<ClientInstance | undefined>;
    };
    readonly Grant: GrantConstructor;
    use(middleware: Middleware): this;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    pathFor(name: string, options?: UnknownObject): string;
    urlFor(name: string, options?: UnknownObject): string;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: UnknownObject,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export default Provider;
}
