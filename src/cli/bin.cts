#!/usr/bin/env node
/**
 * The `authflow` executable. CommonJS on purpose: starting Node's ESM loader alone costs
 * about as much as the whole of `authflow token`'s budget (1.5× a bare `node` start), so the
 * commonest call — `authflow token` with a valid token in the file store — is answered here
 * with two small synchronous reads. Everything else (other commands, other flags, the
 * keychain, an expired token, any surprise) goes to the ESM CLI in `main.ts`, which also
 * gives every error message.
 *
 * @module
 */
import fs = require('node:fs');
import paths = require('./shared/paths.cjs');
import refreshDue = require('./shared/token-freshness.cjs');

/** Seconds before expiry at which `authflow token` refreshes (the default; a set variable takes the full path). */
const REFRESH_BUFFER_SECONDS = 60;

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The profile named by `token [--profile X | -p X | --profile=X]`, or `undefined` for any other command line. */
function tokenProfile(args: readonly string[]): string | undefined {
  if (args[0] !== 'token') return undefined;
  let profile = 'default';
  for (let i = 1; i < args.length; i++) {
    const arg = args[i] as string;
    if ((arg === '--profile' || arg === '-p') && i + 1 < args.length) profile = args[++i] as string;
    else if (arg.startsWith('--profile=')) profile = arg.slice('--profile='.length);
    else return undefined;
  }
  return paths.PROFILE_NAME.test(profile) ? profile : undefined;
}

/**
 * The stored access token when it is there and not due for refresh (the rule of
 * `src/tokens/refresh-due.ts`); else `undefined`. Checks only what printing needs: the ESM path
 * validates fully.
 */
function fastToken(args: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const profileName = tokenProfile(args);
  if (profileName === undefined || env.AUTHFLOW_REFRESH_BUFFER_SECONDS) return undefined;
  try {
    const dir = paths.configDir(env);
    const file = readJson(paths.profilesPath(dir)) as {
      profiles?: Record<string, { store?: string; activeAccount?: string }>;
    };
    const profile = file.profiles?.[profileName];
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
    const set = tokens[profile.activeAccount] as {
      accessToken?: unknown;
      expiresAt?: unknown;
      issuedAt?: unknown;
    } | null;
    if (typeof set?.accessToken !== 'string' || set.accessToken.length === 0) return undefined;
    if (typeof set.issuedAt !== 'number') return undefined;
    if (set.expiresAt !== undefined && typeof set.expiresAt !== 'number') return undefined;
    const { expiresAt, issuedAt } = set as { expiresAt?: number; issuedAt: number };
    if (refreshDue.isRefreshDue(expiresAt, issuedAt, REFRESH_BUFFER_SECONDS, Date.now()))
      return undefined;
    return set.accessToken;
  } catch {
    return undefined;
  }
}

function writeStdout(text: string): boolean {
  try {
    let bytes = Buffer.from(text);
    while (bytes.length > 0) bytes = bytes.subarray(fs.writeSync(1, bytes));
    return true;
  } catch (error) {
    // A closed pipe: nothing to print to. A full non-blocking pipe: let the ESM path write.
    return (error as NodeJS.ErrnoException).code === 'EPIPE';
  }
}

const token = fastToken(process.argv.slice(2), process.env);
if (token === undefined || !writeStdout(`${token}\n`)) {
  import('./main.js').catch((error: unknown) => {
    process.stderr.write(`authflow: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
