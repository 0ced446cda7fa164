/**
 * Small Web Crypto helpers for deploy mode: random ids, base64url, SHA-256, constant-time
 * comparison and purpose-bound HMAC signatures. Web standard only, so the deploy core runs on
 * any runtime with `crypto.subtle`.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Encodes bytes as unpadded base64url. */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** Decodes unpadded base64url; `undefined` when the text is not base64url. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A random identifier of `bytes` bytes from the CSPRNG, base64url encoded (32 bytes = 256 bits). */
export function randomId(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** SHA-256 of a UTF-8 string, base64url encoded. */
export async function sha256(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))));
}

/**
 * Compares two byte arrays in time that depends only on their lengths, so that an attacker
 * cannot learn a secret value byte by byte from response times.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Constant-time comparison of two strings (compared as UTF-8 bytes). */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  return timingSafeEqual(encoder.encode(a), encoder.encode(b));
}

/** How many verified signed texts a {@link ValueSigner} remembers. */
const VERIFIED_CACHE_SIZE = 10_000;

/** What a signed value is for. A value signed for one purpose never verifies for another. */
export type SignaturePurpose = 'session' | 'login-binding';

/**
 * Signs and verifies short values with HMAC-SHA256 under the app's `secret`. The purpose is
 * part of the signed data, so a login-binding cookie can never pass as a session cookie.
 */
export class ValueSigner {
  readonly #key: Promise<CryptoKey>;
  /**
   * Signed texts already verified → their value. Verifying an HMAC with Web Crypto is an
   * asynchronous job; a session cookie comes back on every request, so remembering the last
   * few thousand good ones keeps it off the hot path. Only exact, valid texts are remembered
   * (one map per purpose, so a text verified for one purpose is never found for another):
   * anything else is verified in full.
   */
  readonly #verified: Record<SignaturePurpose, Map<string, string>> = {
    session: new Map(),
    'login-binding': new Map(),
  };

  constructor(secret: string) {
    this.#key = crypto.subtle.importKey(
      'raw',
      encoder.encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
  }

  /** Returns `value.signature`. `value` must be base64url. */
  async sign(purpose: SignaturePurpose, value: string): Promise<string> {
    const mac = await crypto.subtle.sign('HMAC', await this.#key, data(purpose, value));
    return `${value}.${base64url(new Uint8Array(mac))}`;
  }

  /**
   * The value inside `signed` when this exact text already verified for `purpose`, else
   * `undefined` (unknown: call {@link verify}). Synchronous, so that a returning session cookie
   * costs no asynchronous hop.
   */
  verifiedBefore(purpose: SignaturePurpose, signed: string): string | undefined {
    return this.#verified[purpose].get(signed);
  }

  /**
   * Returns the value inside a signed text, or `undefined` when the text is malformed, too
   * long, or its signature is not this app's for this purpose. The check is constant-time.
   */
  async verify(purpose: SignaturePurpose, signed: string): Promise<string | undefined> {
    if (signed.length > 200) return undefined;
    const verified = this.#verified[purpose];
    const known = verified.get(signed);
    if (known !== undefined) return known;
    const dot = signed.indexOf('.');
    if (dot <= 0 || dot !== signed.lastIndexOf('.')) return undefined;
    const value = signed.slice(0, dot);
    const mac = fromBase64url(signed.slice(dot + 1));
    if (mac === undefined || mac.length !== 32 || !/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
    const ok = await crypto.subtle.verify('HMAC', await this.#key, mac, data(purpose, value));
    if (!ok) return undefined;
    if (verified.size >= VERIFIED_CACHE_SIZE) {
      verified.delete(verified.keys().next().value as string);
    }
    verified.set(signed, value);
    return value;
  }
}

function data(purpose: SignaturePurpose, value: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`authflow:${purpose}:${value}`);
}
