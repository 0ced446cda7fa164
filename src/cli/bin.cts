#!/usr/bin/env node
/**
 * The `authflow` executable (package.json `bin`). CommonJS on purpose: starting Node's ESM
 * loader alone costs about as much as the whole of `authflow token`'s budget (1.5× a bare `node`
 * start), so the commonest call — `authflow token` with a fresh token in the file store — is
 * answered here with two small synchronous reads (`shared/stored-token.cts`). Everything else
 * (other commands, other flags, the keychain, a token due for refresh, any surprise) goes to the
 * ESM CLI in `main.ts`, which also gives every error message.
 *
 * @module
 */
import fs = require('node:fs');
import paths = require('./shared/paths.cjs');
import storedToken = require('./shared/stored-token.cjs');

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
 * The stored access token when the command line is a plain `authflow token` and the token is
 * fresh (`shared/stored-token.cts`, the CLI's one freshness decision); else `undefined`.
 */
function fastToken(args: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const profileName = tokenProfile(args);
  if (profileName === undefined) return undefined;
  try {
    return storedToken.freshStoredToken(env, paths.configDir(env), profileName)?.accessToken;
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
