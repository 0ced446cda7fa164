/**
 * `authflow profiles`: the profiles with their provider, account and store.
 *
 * @module
 */
import { displayAccount } from '../../shared/accounts.js';
import { parseCommandArgs } from '../../shared/args.js';
import type { CliContext } from '../../shared/context.js';
import { ExitCode } from '../../shared/exit.js';
import { paint } from '../../shared/output.js';
import { storeLocation } from '../../shared/profile-store.js';
import { readProfiles } from '../../shared/profiles-file.js';

/** The text of `authflow profiles --help`, with examples. */
export const help = `authflow profiles — list profiles

Usage: authflow profiles [--json]

Shows each profile's provider, signed-in account and token store (local state only).
--json prints (stable): [{"name","provider","issuer","clientId","account","accounts","store","storeLocation"}]

Examples:
  authflow profiles
  authflow profiles --json | jq -r '.[].name'`;

/**
 * Prints the profiles with their provider, account and store, from local state only. Resolves 0.
 */
export async function run(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArgs('profiles', args, {});
  const { profiles } = await readProfiles(context.configDir);
  const rows = Object.keys(profiles)
    .sort()
    .map((name) => {
      const p = profiles[name] ?? {};
      const active = p.accounts?.find((a) => a.userId === p.activeAccount);
      return {
        name,
        provider: p.provider?.provider ?? null,
        issuer: p.provider?.issuerUrl ?? null,
        clientId: p.provider?.clientId ?? null,
        account: active ? displayAccount(active) : null,
        accounts: (p.accounts ?? []).map((a) => a.userId),
        store: p.store ?? null,
        storeLocation: p.store ? storeLocation(p.store, context.configDir, name) : null,
      };
    });
  if (values.json) {
    context.out.json(rows);
    return ExitCode.OK;
  }
  if (rows.length === 0) {
    context.out.out('No profiles yet. Create one with: authflow login (try: authflow login --dev)');
    return ExitCode.OK;
  }
  const table = [
    ['PROFILE', 'PROVIDER', 'ACCOUNT', 'STORE'],
    ...rows.map((r) => [
      r.name,
      [r.provider ?? '-', r.issuer ?? ''].join(' ').trim(),
      r.account ?? '(signed out)',
      r.store ?? '-',
    ]),
  ];
  const widths =
    table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length))) ?? [];
  table.forEach((row, index) => {
    const line = row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 2)))
      .join('');
    context.out.out(index === 0 ? paint(context.out.color, 'bold', line) : line);
  });
  return ExitCode.OK;
}
