/**
 * Microsoft identity platform (Entra ID, personal Microsoft accounts), v2.0 endpoints.
 *
 * @module
 */
import type * as client from 'openid-client';
import { ConfigurationError } from '../errors.js';
import { GenericOIDCProvider } from './oidc.js';
import type { BaseProviderOptions } from './options.js';

/** The global Microsoft identity platform authority. */
export const MICROSOFT_AUTHORITY = 'https://login.microsoftonline.com';

/** Tenant id of personal Microsoft accounts (the `tid` of every consumer ID token). */
export const MICROSOFT_CONSUMERS_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TENANT_PLACEHOLDER = '{tenantid}';

/** Options of {@link MicrosoftProvider}. */
export interface MicrosoftProviderOptions extends BaseProviderOptions {
  /** Application (client) id of the app registration. */
  clientId: string;
  /** Client secret; omit it for a "Mobile and desktop applications" (public client) registration. */
  clientSecret?: string;
  /**
   * Who may sign in: a tenant id (GUID) or domain for one directory, `organizations` (any
   * work or school account), `consumers` (personal accounts) or `common` (both). Default `common`.
   */
  tenantId?: string;
  /**
   * Scopes to request. Default `['openid', 'email', 'profile', 'offline_access']`;
   * `offline_access` (for a refresh token) is added when missing.
   */
  scopes?: readonly string[];
  /**
   * Authority (cloud instance). Default `https://login.microsoftonline.com`. National clouds
   * (e.g. `https://login.microsoftonline.us`) need a specific `tenantId`: the multi-tenant
   * issuer template is honoured on the global authority only.
   */
  authorityUrl?: string;
}

/**
 * Microsoft sign-in. With a multi-tenant `tenantId` the discovered issuer is a template
 * (`https://login.microsoftonline.com/{tenantid}/v2.0`): openid-client validates each ID
 * token's `iss` against it with the token's own `tid` substituted, and this provider checks
 * again that `tid` is a tenant GUID, that `iss` names exactly that tenant, and that the
 * account kind matches (`consumers` only personal accounts, `organizations` none).
 *
 * Microsoft has no RFC 7009 revocation endpoint: {@link revokeToken} resolves `false`.
 *
 * @see https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc
 * @example
 * ```ts
 * const microsoft = new MicrosoftProvider({ clientId, tenantId: 'organizations' });
 * ```
 */
export class MicrosoftProvider extends GenericOIDCProvider {
  /** The configured tenant (`common`, `organizations`, `consumers`, a GUID or a domain). */
  readonly tenantId: string;

  constructor(options: MicrosoftProviderOptions) {
    const tenantId = (options?.tenantId ?? 'common').trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(tenantId)) {
      throw new ConfigurationError(
        `microsoft: tenantId must be a tenant GUID, a domain, or one of common, organizations, consumers.`,
      );
    }
    const authority = (options?.authorityUrl ?? MICROSOFT_AUTHORITY).replace(/\/+$/, '');
    if (MULTI_TENANT.has(tenantId.toLowerCase()) && authority !== MICROSOFT_AUTHORITY) {
      // Only there does openid-client resolve the {tenantid} issuer template.
      throw new ConfigurationError(
        `microsoft: tenantId '${tenantId}' works only with the global authority ${MICROSOFT_AUTHORITY}. Set tenantId to your tenant's id to use ${authority}.`,
      );
    }
    const scopes = [...(options?.scopes ?? ['openid', 'email', 'profile'])];
    if (!scopes.includes('offline_access')) scopes.push('offline_access');
    super({
      ...options,
      scopes,
      issuerUrl: `${authority}/${encodeURIComponent(tenantId)}/v2.0`,
      name: 'microsoft',
    });
    this.tenantId = tenantId;
  }

  /** Microsoft has no RFC 7009 token revocation; resolves `false`. */
  override async revokeToken(
    _token?: string,
    _tokenTypeHint?: 'access_token' | 'refresh_token',
  ): Promise<boolean> {
    return false;
  }

  protected override checkIdTokenClaims(
    claims: client.IDToken,
    config: client.Configuration,
    operation: 'exchange' | 'refresh' | 'poll',
  ): void {
    super.checkIdTokenClaims(claims, config, operation);
    const template = config.serverMetadata().issuer;
    const tenant = this.tenantId.toLowerCase();
    if (!template.includes(TENANT_PLACEHOLDER)) {
      // One directory: openid-client compared iss with the discovered issuer exactly.
      if (TENANT_ID.test(tenant) && claims.tid !== undefined && claims.tid !== tenant) {
        throw this.invalidIdToken(`its "tid" is not the configured tenant`);
      }
      return;
    }
    const tid = claims.tid;
    if (typeof tid !== 'string' || !TENANT_ID.test(tid)) {
      throw this.invalidIdToken('its "tid" (tenant id) is missing or not a tenant GUID');
    }
    if (claims.iss !== template.replace(TENANT_PLACEHOLDER, tid)) {
      throw this.invalidIdToken('its "iss" does not name the tenant in its "tid"');
    }
    if (MULTI_TENANT.has(tenant)) {
      const consumer = tid === MICROSOFT_CONSUMERS_TENANT_ID;
      if (tenant === 'consumers' && !consumer) {
        throw this.invalidIdToken(
          'a work or school account signed in where only personal accounts are allowed',
        );
      }
      if (tenant === 'organizations' && consumer) {
        throw this.invalidIdToken(
          'a personal account signed in where only work or school accounts are allowed',
        );
      }
    }
  }
}
