// The TokenStore contract (token-store-contract.ts) over all four stores, each on its real
// backing service: memory, a 0600 file in a temp dir, gnome-keyring on a private D-Bus session
// bus, and a redis-server on a random port. Everything started here is stopped in `after`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { Redis } from 'ioredis';
import { RedisTokenStore } from '../../src/deploy/redis-token-store.js';
import { FileTokenStore } from '../../src/stores/file.js';
import { KeyringTokenStore } from '../../src/stores/keyring.js';
import { MemoryTokenStore } from '../../src/stores/memory.js';
import { type SecretService, startSecretService } from '../helpers/keyring.js';
import { useRedis } from '../helpers/redis.js';
import { tokenStoreContract } from './token-store-contract.js';

let counter = 0;
/** A namespace no other test of this file uses. */
const fresh = () => `t${++counter}-`;

tokenStoreContract('MemoryTokenStore', async () => ({ store: new MemoryTokenStore() }));

describe('FileTokenStore', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'authflow-contract-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  tokenStoreContract('FileTokenStore', async () => {
    const path = join(dir, fresh(), 'tokens.json');
    return { store: new FileTokenStore({ path }), reopen: () => new FileTokenStore({ path }) };
  });
});

describe('KeyringTokenStore (gnome-keyring on a private D-Bus)', () => {
  let secrets: SecretService | undefined;
  let previousBus: string | undefined;
  before(async () => {
    secrets = await startSecretService();
    // The keychain agent the store spawns inherits this process's bus address.
    previousBus = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = secrets.env.DBUS_SESSION_BUS_ADDRESS;
  });
  after(async () => {
    if (previousBus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = previousBus;
    await secrets?.stop();
  });
  tokenStoreContract('KeyringTokenStore', async () => {
    const options = { service: 'authflow-contract', keyPrefix: fresh() };
    return {
      store: new KeyringTokenStore(options),
      reopen: () => new KeyringTokenStore(options),
    };
  });
});

describe('RedisTokenStore (real redis-server)', () => {
  const redis = useRedis();
  const clients: Redis[] = [];
  const client = () => {
    const created = new Redis(redis().url, { maxRetriesPerRequest: 1 });
    clients.push(created);
    return created;
  };
  after(() => {
    for (const created of clients) created.disconnect();
  });
  tokenStoreContract('RedisTokenStore', async () => {
    const keyPrefix = fresh();
    return {
      store: new RedisTokenStore({ client: client(), keyPrefix }),
      reopen: () => new RedisTokenStore({ client: client(), keyPrefix }),
    };
  });
});
