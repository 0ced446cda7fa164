/**
 * How the user started the CLI, so that printed hints work when pasted as they are: `authflow`
 * when it is on PATH, `npx authflow` under npx, else `node <path to bin.cjs>`.
 *
 * @module
 */
import { basename, isAbsolute, relative } from 'node:path';

/** The command to type to run authflow again, e.g. `authflow` or `npx authflow`. */
export function commandName(
  env: NodeJS.ProcessEnv = process.env,
  script: string | undefined = process.argv[1],
): string {
  if (env.npm_command === 'exec') return 'npx authflow';
  if (script === undefined || /^authflow(\.cmd|\.exe)?$/i.test(basename(script))) return 'authflow';
  const shown = relative(process.cwd(), script);
  const path = shown.startsWith('..') || isAbsolute(shown) ? script : shown;
  return `node ${/\s/.test(path) ? `"${path}"` : path}`;
}
