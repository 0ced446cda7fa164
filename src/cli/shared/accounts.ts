/**
 * Turning user info into what the CLI shows and remembers.
 *
 * @module
 */
import type { UserInfo } from '../../providers/types.js';
import type { AccountRecord } from './profiles-file.js';
import { terminalSafe } from './terminal-text.js';

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/** The account record of a signed-in user (no secrets). */
export function accountRecord(userId: string, userInfo: UserInfo, now: number): AccountRecord {
  const record: AccountRecord = { userId, signedInAt: now };
  const name = str(userInfo.name) ?? str(userInfo.preferred_username) ?? str(userInfo.login);
  if (name) record.name = name;
  const email = str(userInfo.email);
  if (email) record.email = email;
  return record;
}

/** How to name an account to the user, on one line: `Name <email>`, else whatever identifies it. */
export function displayAccount(account: AccountRecord): string {
  const line = (text: string) => terminalSafe(text, { newlines: false });
  if (account.name && account.email && account.name !== account.email) {
    return `${line(account.name)} <${line(account.email)}>`;
  }
  return line(account.name ?? account.email ?? account.userId);
}
