/**
 * `KeyringTokenStore`: token sets in the OS keychain (macOS Keychain, Windows Credential
 * Manager, Linux Secret Service) through `@napi-rs/keyring`. Every call is bounded by a
 * timeout, so a missing or silent D-Bus never hangs the caller.
 *
 * @module
 */
import { ErrorCodes, StoreError } from '../errors.js';
import { type OAuthTokenSet, parseTokenSet } from '../tokens/token-set.js';
import { KeyringAgent } from './keyring-agent.js';
import type { TokenStore } from './types.js';

/** Options for {@link KeyringTokenStore}. */
export interface KeyringTokenStoreOptions {
  /** The keychain service name entries are filed under. Default `'authflow'`. */
  service?: string;
  /**
   * Prefix of every entry's account name, so that several stores can share a service
   * (the CLI uses `tokens:<profile>:`). Default `''`.
   */
  keyPrefix?: string;
  /** Bound on every keychain call, in milliseconds. Default 5000. */
  timeoutMs?: number;
  /**
   * Linux only: the credential store to require. Default `'secret-service'` (the kernel
   * keyring forgets everything at logout, so it is never picked silently).
   */
  linuxStore?: 'secret-service' | 'keyutils';
}

/** Windows Credential Manager holds at most 2560 bytes of UTF-16 per entry. */
const WINDOWS_MAX_CHARS = 1280;

/**
 * Stores token sets in the OS keychain, one entry per key, as JSON.
 *
 * The native calls run in a small child process that is killed when a call exceeds
 * `timeoutMs`; after one timeout, later calls fail at once with the same error. Call
 * {@link close} when done (an idle store never keeps the process alive either way).
 *
 * @example
 * ```ts
 * const tokenStore = new KeyringTokenStore({ service: 'my-app' });
 * const problem = await tokenStore.probe(); // undefined when the keychain works
 * if (problem !== undefined) console.warn(`No keychain here: ${problem}`);
 * ```
 */
export class KeyringTokenStore implements TokenStore {
  /** The keychain service name entries are filed under. */
  readonly service: string;
  readonly #prefix: string;
  readonly #agent: KeyringAgent;

  constructor(options: KeyringTokenStoreOptions = {}) {
    this.service = options.service ?? 'authflow';
    this.#prefix = options.keyPrefix ?? '';
    this.#agent = new KeyringAgent({
      timeoutMs: options.timeoutMs,
      linuxStore: options.linuxStore,
    });
  }

  async save(key: string, tokens: OAuthTokenSet): Promise<void> {
    let value = JSON.stringify(tokens);
    if (process.platform === 'win32' && value.length > WINDOWS_MAX_CHARS) {
      // The raw response repeats the tokens; drop it before giving up.
      const { raw: _raw, ...rest } = tokens;
      value = JSON.stringify(rest);
      if (value.length > WINDOWS_MAX_CHARS) {
        throw new StoreError(
          'This token set is too large for Windows Credential Manager. Use --store file (FileTokenStore) instead.',
          { code: ErrorCodes.STORE_ERROR },
        );
      }
    }
    await this.#agent.set(this.service, this.#prefix + key, value);
  }

  async load(key: string): Promise<OAuthTokenSet | undefined> {
    const value = await this.#agent.get(this.service, this.#prefix + key);
    if (value === null) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    const tokens = parseTokenSet(parsed);
    if (!tokens) {
      throw new StoreError(
        `The keychain entry "${this.#prefix + key}" (service "${this.service}") is not a token set. Delete it, then sign in again.`,
        { code: ErrorCodes.STORE_ERROR },
      );
    }
    return tokens;
  }

  delete(key: string): Promise<boolean> {
    return this.#agent.delete(this.service, this.#prefix + key);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#agent.get(this.service, this.#prefix + key)) !== null;
  }

  async listKeys(): Promise<string[]> {
    const credentials = await this.#agent.find(this.service);
    return credentials
      .filter((c) => c.account.startsWith(this.#prefix))
      .map((c) => c.account.slice(this.#prefix.length))
      .sort();
  }

  /**
   * Reads a non-token secret kept beside the tokens (e.g. a client secret) under
   * `account`, verbatim (no prefix). `undefined` when there is none.
   */
  async loadSecret(account: string): Promise<string | undefined> {
    return (await this.#agent.get(this.service, account)) ?? undefined;
  }

  /** Saves a non-token secret under `account` (no prefix). */
  saveSecret(account: string, value: string): Promise<void> {
    return this.#agent.set(this.service, account, value);
  }

  /** Deletes a non-token secret; `true` when one was deleted. */
  deleteSecret(account: string): Promise<boolean> {
    return this.#agent.delete(this.service, account);
  }

  /**
   * Checks that the keychain works here: writes, reads back and deletes a probe entry.
   * Resolves `undefined` when usable, else the reason (never rejects).
   */
  async probe(): Promise<string | undefined> {
    const account = `${this.#prefix}__authflow_probe__`;
    try {
      await this.#agent.set(this.service, account, 'probe');
      const back = await this.#agent.get(this.service, account);
      await this.#agent.delete(this.service, account);
      return back === 'probe' ? undefined : 'the keychain did not return what was written';
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** Stops the helper process. The store can still be used afterwards (it restarts it). */
  close(): void {
    this.#agent.close();
  }
}
