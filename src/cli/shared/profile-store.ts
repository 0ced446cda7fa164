/**
 * The token store of a profile: one of `src/stores` (the OS keychain, a 0600 file, or memory)
 * opened for it, with its client secret beside the tokens. Each store is loaded lazily, so that
 * `authflow token` with the file store never loads the keychain module. (Named for the profile, not
 * `stores`, which would read as the `src/stores` folder.)
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TokenStore } from '../../stores/types.js';
import type { CliContext } from './context.js';
import paths from './paths.cjs';
import type { StoreKind } from './profiles-file.js';

const { tokensPath } = paths;

/** The keychain service name the CLI files its entries under. */
export const KEYRING_SERVICE = 'authflow';

/** A profile's opened store. */
export interface ProfileStore {
  /** Which kind it is. */
  kind: StoreKind;
  /** Human description of where the tokens live. */
  location: string;
  /** The store itself. */
  store: TokenStore;
  /** Reads the profile's saved client secret, if any. */
  loadClientSecret(): Promise<string | undefined>;
  /** Saves the profile's client secret beside its tokens. */
  saveClientSecret(secret: string): Promise<void>;
  /** Forgets the profile's client secret. */
  deleteClientSecret(): Promise<void>;
  /** Keychain only: checks that it works here; `undefined` when usable, else why not. */
  probe?(): Promise<string | undefined>;
  /** Releases resources (the keychain helper process). */
  close(): void;
}

/** Where a profile's tokens live, for messages. */
export function storeLocation(kind: StoreKind, dir: string, profile: string): string {
  if (kind === 'keyring') return `OS keychain (service "${KEYRING_SERVICE}")`;
  if (kind === 'file') return tokensPath(dir, profile);
  return 'memory (this process only; nothing is saved)';
}

/**
 * Opens the store of `profile`, of the given kind, in the context's config dir. A keychain call
 * times out after `$AUTHFLOW_KEYRING_TIMEOUT_MS` (default 5000) milliseconds.
 */
export async function openProfileStore(
  context: Pick<CliContext, 'configDir' | 'env'>,
  kind: StoreKind,
  profile: string,
): Promise<ProfileStore> {
  const dir = context.configDir;
  const location = storeLocation(kind, dir, profile);
  if (kind === 'file') {
    const { FileTokenStore } = await import('../../stores/file.js');
    const path = tokensPath(dir, profile);
    const secretPath = path.replace(/\.json$/, '.secret.json');
    return {
      kind,
      location,
      store: new FileTokenStore({ path }),
      loadClientSecret: async () => {
        try {
          const value = JSON.parse(await readFile(secretPath, 'utf8')) as {
            clientSecret?: unknown;
          };
          return typeof value.clientSecret === 'string' ? value.clientSecret : undefined;
        } catch {
          return undefined;
        }
      },
      saveClientSecret: (secret) => writePrivateJson(secretPath, { clientSecret: secret }),
      deleteClientSecret: () => rm(secretPath, { force: true }),
      close: () => {},
    };
  }
  if (kind === 'keyring') {
    const { KeyringTokenStore } = await import('../../stores/keyring.js');
    const envTimeout = Number(context.env.AUTHFLOW_KEYRING_TIMEOUT_MS);
    const store = new KeyringTokenStore({
      service: KEYRING_SERVICE,
      keyPrefix: `profile:${profile}:`,
      timeoutMs: envTimeout > 0 ? envTimeout : 5000,
    });
    const secretAccount = `client-secret:${profile}`;
    return {
      kind,
      location,
      store,
      loadClientSecret: () => store.loadSecret(secretAccount),
      saveClientSecret: (secret) => store.saveSecret(secretAccount, secret),
      deleteClientSecret: async () => {
        await store.deleteSecret(secretAccount);
      },
      probe: () => store.probe(),
      close: () => store.close(),
    };
  }
  const { MemoryTokenStore } = await import('../../stores/memory.js');
  let secret: string | undefined;
  return {
    kind,
    location,
    store: new MemoryTokenStore(),
    loadClientSecret: async () => secret,
    saveClientSecret: async (value) => {
      secret = value;
    },
    deleteClientSecret: async () => {
      secret = undefined;
    },
    close: () => {},
  };
}

/** Writes JSON atomically with mode 0600. */
async function writePrivateJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(value), { mode: 0o600 });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
