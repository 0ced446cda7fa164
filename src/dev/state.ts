/**
 * What makes a restarted development provider the same provider: its keys (signing, cookies,
 * the web client's secret) and its grants, sessions and tokens, kept in a directory of the
 * user's (`DevProviderOptions.stateDir`). Files are written atomically with mode 0600.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { generateCookieKeys, generateSigningKeys } from './keys.js';

/** The keys of one provider identity. */
export interface DevKeys {
  /** Private signing keys (JWKS). */
  jwks: { keys: JWK[] };
  /** Keys of oidc-provider's signed cookies. */
  cookieKeys: string[];
  /** Secret of the web client. */
  webClientSecret: string;
}

function writePrivate(path: string, text: string): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, text, { mode: 0o600 });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(
      `startDevProvider: ${path} is not valid JSON. Delete it (the provider then starts afresh; earlier tokens stop working).`,
    );
  }
}

/** The keys kept in `dir` (created mode 0700), made and saved on first use. */
export async function loadOrCreateKeys(dir: string, webClientSecret?: string): Promise<DevKeys> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const path = join(dir, 'keys.json');
  const saved = readJson(path) as Partial<DevKeys> | undefined;
  if (
    saved !== undefined &&
    Array.isArray(saved.jwks?.keys) &&
    Array.isArray(saved.cookieKeys) &&
    typeof saved.webClientSecret === 'string'
  ) {
    const keys = saved as DevKeys;
    if (webClientSecret === undefined || webClientSecret === keys.webClientSecret) return keys;
    keys.webClientSecret = webClientSecret;
    writePrivate(path, JSON.stringify(keys));
    return keys;
  }
  const keys: DevKeys = {
    jwks: await generateSigningKeys(),
    cookieKeys: generateCookieKeys(),
    webClientSecret: webClientSecret ?? randomBytes(32).toString('base64url'),
  };
  writePrivate(path, JSON.stringify(keys));
  return keys;
}

interface Entry {
  payload: Record<string, unknown>;
  /** Epoch milliseconds; `null` for no expiry. */
  expiresAt: number | null;
}

/** oidc-provider's adapter interface, as far as the development provider uses it. */
export interface DevAdapter {
  upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Record<string, unknown> | undefined>;
  findByUid(uid: string): Promise<Record<string, unknown> | undefined>;
  findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/**
 * An oidc-provider adapter factory that keeps everything in `<dir>/grants.json`, rewritten
 * after each change: one provider process at a time, development scale (lookups scan).
 */
export function fileAdapter(dir: string): (model: string) => DevAdapter {
  const path = join(dir, 'grants.json');
  const entries = new Map<string, Entry>(
    Object.entries((readJson(path) as Record<string, Entry> | undefined) ?? {}),
  );
  const alive = (entry: Entry | undefined) =>
    entry !== undefined && (entry.expiresAt === null || entry.expiresAt > Date.now());
  const save = () => {
    for (const [key, entry] of entries) if (!alive(entry)) entries.delete(key);
    writePrivate(path, JSON.stringify(Object.fromEntries(entries)));
  };
  const findWhere = (model: string, field: string, value: string) => {
    for (const [key, entry] of entries) {
      if (key.startsWith(`${model}:`) && entry.payload[field] === value && alive(entry)) {
        return entry.payload;
      }
    }
    return undefined;
  };
  return (model) => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null;
        entries.set(key(id), { payload, expiresAt });
        save();
      },
      async find(id) {
        const entry = entries.get(key(id));
        return alive(entry) ? entry?.payload : undefined;
      },
      async findByUid(uid) {
        return findWhere(model, 'uid', uid);
      },
      async findByUserCode(userCode) {
        return findWhere(model, 'userCode', userCode);
      },
      async consume(id) {
        const entry = entries.get(key(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
        save();
      },
      async destroy(id) {
        entries.delete(key(id));
        save();
      },
      async revokeByGrantId(grantId) {
        for (const [k, entry] of entries) if (entry.payload.grantId === grantId) entries.delete(k);
        save();
      },
    };
  };
}
