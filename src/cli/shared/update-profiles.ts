/**
 * Writing `profiles.json`: read-modify-write under a lock, atomic replace, mode 0600.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { withFileLock } from '../../stores/lock.js';
import paths from './paths.cjs';
import { type ProfileRecord, type ProfilesFile, readProfiles } from './profiles-file.js';

const { profilesPath } = paths;

/**
 * Read-modify-write of `profiles.json` under a lock, written atomically (temp file +
 * rename, mode 0600), so two processes never lose each other's changes.
 */
export async function updateProfiles(
  dir: string,
  change: (file: ProfilesFile) => void | Promise<void>,
): Promise<ProfilesFile> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return withFileLock(join(dir, 'locks', 'profiles.lock'), async () => {
    const file = await readProfiles(dir);
    await change(file);
    const path = profilesPath(dir);
    const temp = join(dirname(path), `.profiles.json.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, path);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
    return file;
  });
}

/** Updates one profile (created when missing). */
export async function updateProfile(
  dir: string,
  name: string,
  change: (profile: ProfileRecord) => void,
): Promise<ProfileRecord> {
  const file = await updateProfiles(dir, (f) => {
    const profile = f.profiles[name] ?? {};
    change(profile);
    f.profiles[name] = profile;
  });
  return file.profiles[name] as ProfileRecord;
}
