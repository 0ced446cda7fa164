/**
 * `--client-secret <value>` on the command line: every local user can read it in the process
 * list. The process masks it in its title first thing (`main.ts`), and every run warns about it
 * (`root.ts`), pointing at `AUTHFLOW_CLIENT_SECRET` and `--client-secret-stdin`.
 *
 * @module
 */

/** `args` with the value of `--client-secret <value>` / `--client-secret=<value>` masked, or `undefined` when there is none. */
export function maskSecretFlag(args: readonly string[]): string[] | undefined {
  let found = false;
  const masked = args.map((arg, i) => {
    if (arg.startsWith('--client-secret=')) {
      found = true;
      return '--client-secret=***';
    }
    if (args[i - 1] === '--client-secret') {
      found = true;
      return '***';
    }
    return arg;
  });
  return found ? masked : undefined;
}

/**
 * When `args` hold a client secret, rewrites the process title (what `ps` and
 * `/proc/<pid>/cmdline` show) with the value masked. Call it first thing: until then the secret
 * is visible to other local users.
 */
export function scrubSecretFromTitle(args: readonly string[]): void {
  const masked = maskSecretFlag(args);
  if (masked !== undefined) process.title = ['authflow', ...masked].join(' ');
}
