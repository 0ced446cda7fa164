/**
 * `FileTokenStore`: token sets in one JSON file of the user's, mode 0600, safe against crashes
 * and against two processes writing at once. The fallback when there is no usable keychain.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { ErrorCodes, StoreError, TokenError } from '../errors.js';
import { type OAuthTokenSet, parseTokenSet } from '../tokens/token-set.js';
import { withFileLock } from './lock.js';
import type { TokenStore } from './types.js';

/** Options for {@link FileTokenStore}. */
export interface FileTokenStoreOptions {
  /** Path of the JSON file that holds this store's token sets. Created with mode 0600. */
  path: string;
  /** How long a write waits for another process's write to finish, in milliseconds. Default 10 000. */
  lockTimeoutMs?: number;
}

interface FileContents {
  version: 1;
  tokens: Record<string, OAuthTokenSet>;
}

/**
 * Keeps token sets in one JSON file (mode 0600). Writes go to a temporary file that
 * is renamed over the old one, so a crash never leaves a half-written file; a lock
 * file serialises writers across processes, so two processes saving at once lose nothing.
 *
 * The file's directory must be the user's own and writable by no one else (on Unix): another
 * user who can write there could swap in a token set of their own. A directory the store
 * creates is made mode 0700; an unsafe existing one is refused with a `store_error`.
 *
 * @example
 * ```ts
 * import { homedir } from 'node:os';
 * import { join } from 'node:path';
 *
 * const tokenStore = new FileTokenStore({ path: join(homedir(), '.config', 'my-app', 'tokens.json') });
 * ```
 */
export class FileTokenStore implements TokenStore {
  /** The file's path. */
  readonly path: string;
  readonly #lockTimeoutMs: number;

  constructor(options: FileTokenStoreOptions) {
    this.path = options.path;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  }

  async save(key: string, tokens: OAuthTokenSet): Promise<void> {
    if (parseTokenSet(tokens) === undefined) {
      throw new TokenError('Refusing to store a value that is not a token set.');
    }
    await this.#update((contents) => {
      contents.tokens[key] = tokens;
      return true;
    });
  }

  async load(key: string): Promise<OAuthTokenSet | undefined> {
    const contents = await this.#read();
    return Object.hasOwn(contents.tokens, key) ? contents.tokens[key] : undefined;
  }

  async delete(key: string): Promise<boolean> {
    let deleted = false;
    await this.#update((contents) => {
      deleted = Object.hasOwn(contents.tokens, key);
      delete contents.tokens[key];
      return deleted;
    });
    return deleted;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.load(key)) !== undefined;
  }

  async listKeys(): Promise<string[]> {
    return Object.keys((await this.#read()).tokens);
  }

  async #read(): Promise<FileContents> {
    let text: string;
    try {
      await this.#checkDirectory();
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return { version: 1, tokens: Object.create(null) };
      }
      if (error instanceof TokenError || error instanceof StoreError) throw error;
      throw this.#storeError(`Cannot read the token file ${this.path}`, error);
    }
    return this.#parse(text);
  }

  #parse(text: string): FileContents {
    const corrupt = () =>
      new StoreError(
        `The token file ${this.path} is corrupt. Delete it and sign in again (run \`authflow login\`).`,
        { code: ErrorCodes.STORE_ERROR },
      );
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw corrupt();
    }
    const tokens = (value as Partial<FileContents> | null)?.tokens;
    if (typeof tokens !== 'object' || tokens === null || Array.isArray(tokens)) throw corrupt();
    // A null prototype keeps keys such as `__proto__` plain data.
    const result: Record<string, OAuthTokenSet> = Object.create(null);
    for (const [key, entry] of Object.entries(tokens)) {
      const parsed = parseTokenSet(entry);
      if (parsed === undefined) throw corrupt();
      result[key] = parsed;
    }
    return { version: 1, tokens: result };
  }

  async #update(change: (contents: FileContents) => boolean): Promise<void> {
    try {
      const dir = dirname(this.path);
      const created = await mkdir(dir, { recursive: true, mode: 0o700 });
      if (created !== undefined) await privateDirectories(resolve(created), resolve(dir));
      await this.#checkDirectory();
      await withFileLock(
        `${this.path}.lock`,
        async () => {
          const contents = await this.#read();
          if (change(contents)) await this.#write(contents);
        },
        { timeoutMs: this.#lockTimeoutMs },
      );
    } catch (error) {
      if (error instanceof TokenError || error instanceof StoreError) throw error;
      throw this.#storeError(`Cannot write the token file ${this.path}`, error);
    }
  }

  async #write(contents: FileContents): Promise<void> {
    const temporary = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const handle = await open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(contents));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /** Refuses a directory that belongs to another user or that others can write (Unix). */
  async #checkDirectory(): Promise<void> {
    if (typeof process.getuid !== 'function') return;
    const dir = dirname(resolve(this.path));
    const info = await stat(dir);
    const unsafe = (why: string, fix: string) =>
      new StoreError(
        `The token directory ${dir} ${why}, who could swap in tokens of their own. ${fix}`,
        { code: ErrorCodes.STORE_ERROR },
      );
    if (info.uid !== process.getuid()) {
      throw unsafe(
        `belongs to another user (uid ${info.uid})`,
        'Keep the token file in a directory of your own.',
      );
    }
    if ((info.mode & 0o022) !== 0) {
      throw unsafe(
        `can be written by other users (mode ${(info.mode & 0o777).toString(8)})`,
        `Make it private: chmod 700 '${dir}'`,
      );
    }
  }

  #storeError(message: string, cause: unknown): StoreError {
    const reason = (cause as NodeJS.ErrnoException)?.code ?? 'unknown error';
    return new StoreError(`${message} (${reason}). Check the file's permissions and free space.`, {
      code: ErrorCodes.STORE_ERROR,
      cause,
    });
  }
}

/** Sets mode 0700 on the directories `mkdir -p` created, from `first` down to `last` (a default ACL or setgid parent may have added bits). */
async function privateDirectories(first: string, last: string): Promise<void> {
  const steps = relative(first, last).split(sep).filter(Boolean);
  let dir = first;
  await chmod(dir, 0o700);
  for (const step of steps) {
    dir = `${dir}${sep}${step}`;
    await chmod(dir, 0o700);
  }
}
