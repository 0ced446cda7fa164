/**
 * The cheap read behind `authflow token`: a file-store profile's active token set straight from
 * `profiles.json` and the token file, with two small synchronous reads, kept only when it is
 * fresh. CommonJS (`.cts`) so that the `authflow` executable (`bin.cts`) answers without starting
 * the ESM loader; `commands/token` uses the same read when the executable passed the call on
 * (e.g. `--json`). Anything unexpected gives `undefined`, and the caller takes the full path
 * through the store (`valid-tokens.ts`), which validates everything and reports problems.
 *
 * @module
 */
import fs = require('node:fs');
import paths = require('./paths.cjs');
import freshness = require('./token-freshness.cjs');

/** The fields of a stored token set this read checks (the rest is passed through unchecked). */
interface StoredTokenSet {
  accessToken: string;
  issuedAt: number;
  expiresAt?: number;
  [field: string]: unknown;
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/**
 * The stored token set of `profileName`'s active account when the profile uses the file store,
 * the set has an access token and it is fresh under the default buffer; else `undefined`
 * (also whenever `AUTHFLOW_REFRESH_BUFFER_SECONDS` is set: only the full path validates it).
 */
function freshStoredToken(
  env: NodeJS.ProcessEnv,
  dir: string,
  profileName: string,
  nowMs: number = Date.now(),
): StoredTokenSet | undefined {
  const buffer = freshness.defaultBufferUnlessSet(env);
  if (buffer === undefined) return undefined;
  try {
    const file = readJson(paths.profilesPath(dir)) as {
      profiles?: Record<string, { store?: string; activeAccount?: string }>;
    };
    const profiles = file.profiles;
    if (typeof profiles !== 'object' || profiles === null) return undefined;
    const profile = Object.hasOwn(profiles, profileName) ? profiles[profileName] : undefined;
    if (profile?.store !== 'file' || typeof profile.activeAccount !== 'string') return undefined;
    const tokens = (
      readJson(paths.tokensPath(dir, profileName)) as { tokens?: Record<string, unknown> }
    ).tokens;
    if (
      typeof tokens !== 'object' ||
      tokens === null ||
      !Object.hasOwn(tokens, profile.activeAccount)
    )
      return undefined;
    const set = tokens[profile.activeAccount] as Partial<StoredTokenSet> | null;
    if (typeof set?.accessToken !== 'string' || set.accessToken.length === 0) return undefined;
    if (typeof set.issuedAt !== 'number') return undefined;
    if (set.expiresAt !== undefined && typeof set.expiresAt !== 'number') return undefined;
    const stored = set as StoredTokenSet;
    return freshness.isFresh(stored, buffer, nowMs) ? stored : undefined;
  } catch {
    return undefined;
  }
}

export = { freshStoredToken };
