/**
 * `profiles.json`: what each profile remembers — provider settings, store choice and
 * signed-in accounts. It never holds a secret: the client secret lives in the token store
 * (keychain entry or the 0600 token file), or is read from the environment each time.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import paths from './paths.cjs';

const { profilesPath } = paths;

/** Which token store a profile uses. */
export type StoreKind = 'keyring' | 'file' | 'memory';

/** Provider settings a profile remembers (the shape `createProvider` takes, minus the secret). */
export interface SavedProviderSettings {
  /** `google`, `github`, `microsoft`, `oidc` or `oauth2`. */
  provider: string;
  /** Client id. */
  clientId: string;
  /** Issuer URL (OIDC). */
  issuerUrl?: string;
  /** Scopes requested. */
  scopes?: string[];
  /** Microsoft tenant. */
  tenantId?: string;
  /** Explicit authorization endpoint. */
  authorizeUrl?: string;
  /** Explicit token endpoint. */
  tokenUrl?: string;
  /** Whether PKCE is used (default true). */
  usePkce?: boolean;
}

/** A signed-in account (no secrets: just what identifies the user). */
export interface AccountRecord {
  /** Key of its token set in the store (the user id). */
  userId: string;
  /** Display name: `name`, `preferred_username`, `login` or `email` from the user info. */
  name?: string;
  /** E-mail, when the provider gave one. */
  email?: string;
  /** When the account signed in (epoch seconds). */
  signedInAt: number;
}

/** What one profile remembers. */
export interface ProfileRecord {
  /** Provider settings from the last `login`. */
  provider?: SavedProviderSettings;
  /** Where the tokens live. */
  store?: StoreKind;
  /** Set when the keychain was unusable and the file store was picked instead. */
  storeFallbackReason?: string;
  /** Whether a client secret was saved in the token store. */
  hasClientSecret?: boolean;
  /** Whether the profile signs in against the embedded development provider. */
  dev?: boolean;
  /** The account commands act on (a `userId` of `accounts`). */
  activeAccount?: string;
  /** Signed-in accounts, most recent last. */
  accounts?: AccountRecord[];
}

/** The whole file. */
export interface ProfilesFile {
  /** Format version. */
  version: 1;
  /** Profiles by name. */
  profiles: Record<string, ProfileRecord>;
}

/**
 * Reads `profiles.json`; an empty file set when it does not exist. Throws on a corrupt file.
 * Synchronous on purpose: it is tiny, and `authflow token` must not wait for the thread pool.
 */
export async function readProfiles(dir: string): Promise<ProfilesFile> {
  const path = profilesPath(dir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, profiles: {} };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as ProfilesFile;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.profiles !== 'object') {
      throw new Error('no "profiles" object');
    }
    return parsed;
  } catch (error) {
    throw new Error(
      `${path} is not valid (${(error as Error).message}). Fix or delete it, then run authflow login again.`,
    );
  }
}

/** Reads one profile (`undefined` when it was never set up). */
export async function readProfile(dir: string, name: string): Promise<ProfileRecord | undefined> {
  const { profiles } = await readProfiles(dir);
  return Object.hasOwn(profiles, name) ? profiles[name] : undefined;
}
