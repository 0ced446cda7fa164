/**
 * Glewlwyd (Debian package `glewlwyd`, an OpenID provider written in C) as an interop
 * provider. Each start gets its own sqlite database in a temporary folder (created from the
 * package's schema), its own config file and port on 127.0.0.1; the OIDC plugin, the user and
 * the clients are then configured through Glewlwyd's admin API, as an operator would.
 *
 * Glewlwyd matches redirect URIs exactly: native sign-ins use a fixed loopback port
 * (`loopback: { port }`, the CLI's `--port`) registered here.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/ports.js';
import { type InteropProvider, untilRedirect } from './types.js';

const GLEWLWYD = '/usr/bin/glewlwyd';
const PACKAGE_CONFIG = '/etc/glewlwyd/glewlwyd.conf';
const SQLITE_SCHEMA = '/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3';
const WEBAPP = '/usr/share/glewlwyd/webapp';
/** The webapp's config; the package links `webapp/config.json` to the folder that holds it. */
const WEBAPP_CONFIG = '/etc/glewlwyd/config-2.7.json/config.json';
/** The administrator the package's schema creates (our database only, on 127.0.0.1). */
const ADMIN = { username: 'admin', password: 'password' };
const USER = {
  username: 'alice',
  password: 'alice-password-1',
  name: 'Alice',
  email: 'alice@example.test',
};
const PLUGIN = 'oidc';

/** Options of {@link startGlewlwyd}. */
export interface GlewlwydOptions {
  /** Access token lifetime in seconds. Default 3600. */
  accessTokenTtl?: number;
}

/** Starts Glewlwyd on 127.0.0.1 with a fresh sqlite database and configures it. */
export async function startGlewlwyd(options: GlewlwydOptions = {}): Promise<InteropProvider> {
  const dir = await mkdtemp(join(tmpdir(), 'authflow-glewlwyd-'));
  let child: ChildProcess | undefined;
  let log = '';
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child?.once('close', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [port, nativePort, deployPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const origin = `http://127.0.0.1:${port}`;
    const database = join(dir, 'glewlwyd.db');
    createDatabase(database);
    const webapp = await copyWebapp(dir);
    const configFile = join(dir, 'glewlwyd.conf');
    await writeFile(configFile, config(port, origin, database, webapp), { mode: 0o600 });
    child = spawn(GLEWLWYD, [`--config-file=${configFile}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      log = (log + chunk).slice(-20_000);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      log = (log + chunk).slice(-20_000);
    });
    await waitUntilUp(origin, child, () => log);
    const admin = await AdminSession.signIn(origin);
    const native = `http://127.0.0.1:${nativePort}/callback`;
    const publicClient = { clientId: 'interop-native.app_~1' };
    const confidentialClient = {
      clientId: 'interop-web.app_~1',
      clientSecret: 'glewlwyd-se.cr_et~1',
    };
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await admin.post('/mod/plugin/', {
      module: 'oidc',
      name: PLUGIN,
      display_name: 'authflow interop',
      enabled: true,
      parameters: {
        iss: `${origin}/api/${PLUGIN}`,
        'jwt-type': 'rsa',
        'jwt-key-size': '256',
        key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        cert: publicKey.export({ type: 'spki', format: 'pem' }),
        'access-token-duration': options.accessTokenTtl ?? 3600,
        'refresh-token-duration': 1209600,
        'code-duration': 600,
        'refresh-token-rolling': true,
        'refresh-token-one-use': 'always',
        'allow-non-oidc': false,
        'auth-type-code-enabled': true,
        'auth-type-refresh-enabled': true,
        'auth-type-device-enabled': true,
        'auth-type-token-enabled': false,
        'auth-type-password-enabled': false,
        'auth-type-client-enabled': false,
        'pkce-allowed': true,
        'pkce-method-plain-allowed': false,
        'introspection-revocation-allowed': true,
        'introspection-revocation-allow-target-client': true,
        'introspection-revocation-auth-scope': [],
        'jwks-show': true,
        'subject-type': 'public',
        'name-claim': 'mandatory',
        'email-claim': 'mandatory',
        'device-authorization-expiration': 600,
        'device-authorization-interval': 1,
        'session-management-allowed': true,
        'session-cookie-name': 'GLEWLWYD2_OP_SESSION_ID',
        'session-cookie-expiration': 2419200,
      },
    });
    await admin.post('/user/', {
      username: USER.username,
      password: USER.password,
      name: USER.name,
      email: USER.email,
      scope: ['openid'],
      enabled: true,
    });
    const grants = ['code', 'refresh_token', 'device_authorization'];
    await admin.post('/client/', {
      client_id: publicClient.clientId,
      name: 'authflow native (interop)',
      confidential: false,
      authorization_type: grants,
      redirect_uri: [native],
      enabled: true,
    });
    await admin.post('/client/', {
      client_id: confidentialClient.clientId,
      name: 'authflow web (interop)',
      confidential: true,
      client_secret: confidentialClient.clientSecret,
      authorization_type: grants,
      redirect_uri: [native, `http://127.0.0.1:${deployPort}/auth/callback`],
      token_endpoint_auth_method: ['client_secret_basic', 'client_secret_post'],
      enabled: true,
    });
    let closed: Promise<void> | undefined;
    return {
      name: 'glewlwyd',
      issuer: `${origin}/api/${PLUGIN}`,
      scopes: ['openid'],
      publicClient,
      confidentialClient,
      nativePort,
      deployPort,
      // Glewlwyd's `public` subject type is an opaque random string per user.
      subject: undefined,
      capabilities: {
        exactRedirectUris: true,
        rotatesRefreshTokens: true,
        oneUseRefreshTokens: true,
        reuseRevokesChain: true,
        publicClientRevocation: false,
        enforcesRevocation: true,
        userinfoChecksRevocation: true,
        deviceFlow: true,
      },
      async signIn(page, url, redirectPrefix) {
        await page.goto(url);
        await untilRedirect(page, redirectPrefix, () => loginAtGlewlwyd(page));
      },
      async approveDevice(page, verificationUri, userCode) {
        await page.goto(verificationUri);
        // "Device authorization. Please enter the code", then the login page.
        await page.fill('input[type=text]', userCode);
        await page.click('button:has-text("OK")');
        await page.waitForSelector('#username');
        await untilRedirect(page, verificationUri, () => loginAtGlewlwyd(page));
      },
      close() {
        closed ??= stop();
        return closed;
      },
    };
  } catch (error) {
    const tail = log.slice(-2000);
    await stop();
    if (error instanceof Error && tail) error.message += `\nglewlwyd log:\n${tail}`;
    throw error;
  }
}

/** Signs in as the user at Glewlwyd's login page and grants the scopes it asks for. */
async function loginAtGlewlwyd(page: import('playwright-core').Page): Promise<void> {
  await page.fill('#username', USER.username);
  await page.fill('#password', USER.password);
  await page.click('#loginbut');
  // "Connection to <client>. What do you wish for?": the user goes on to the application.
  await page.click('button:has-text("Continue")');
}

/**
 * The login pages, copied with their links resolved. Debian's package links the scripts and
 * styles to other packages (libjs-bootstrap4, libjs-jquery...) and `config.json` to a folder;
 * Glewlwyd's static file server does not follow links out of its folder, so served in place the
 * login page stays at "Loading...".
 */
async function copyWebapp(dir: string): Promise<string> {
  const webapp = join(dir, 'webapp');
  await cp(WEBAPP, webapp, {
    recursive: true,
    dereference: true,
    filter: (source) => source !== join(WEBAPP, 'config.json'),
  });
  await cp(WEBAPP_CONFIG, join(webapp, 'config.json'));
  return webapp;
}

/** The package's schema into a fresh sqlite file (Python's sqlite3 module: no sqlite3 CLI needed). */
function createDatabase(path: string): void {
  const result = spawnSync(
    '/usr/bin/python3',
    [
      '-c',
      'import sqlite3,sys;c=sqlite3.connect(sys.argv[1]);c.executescript(open(sys.argv[2]).read());c.commit()',
      path,
      SQLITE_SCHEMA,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(`Could not create Glewlwyd's sqlite database: ${result.stderr}`);
  }
}

/** The package's config file with this instance's port, URL, database and log settings. */
function config(port: number, origin: string, database: string, webapp: string): string {
  const base = readFileSync(PACKAGE_CONFIG, 'utf8')
    .replace(/^port=.*$/m, `port=${port}`)
    .replace(/^external_url=.*$/m, `external_url="${origin}"`)
    .replace(/^#?bind_address=.*$/m, 'bind_address="127.0.0.1"')
    .replace(/^#? ?static_files_path=.*$/m, `static_files_path="${webapp}/"`)
    .replace(/^log_mode=.*$/m, 'log_mode="console"')
    .replace(/^log_level=.*$/m, 'log_level="WARNING"')
    .replace(/^@include .*$/m, `database = { type = "sqlite3" path = "${database}" }`);
  return base;
}

/** Waits until Glewlwyd answers HTTP (at most 20 s); fails at once if it exits. */
async function waitUntilUp(origin: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`glewlwyd exited (code ${child.exitCode}) at start:\n${log()}`);
    }
    const up = await fetch(`${origin}/config/`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`glewlwyd did not answer within 20 s:\n${log()}`);
}

/** An administrator's session at Glewlwyd's admin API (cookie authentication). */
class AdminSession {
  readonly #api: string;
  readonly #cookie: string;

  private constructor(api: string, cookie: string) {
    this.#api = api;
    this.#cookie = cookie;
  }

  static async signIn(origin: string): Promise<AdminSession> {
    const api = `${origin}/api`;
    const response = await fetch(`${api}/auth/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const cookie = response.headers
      .getSetCookie()
      .map((value) => value.split(';')[0])
      .join('; ');
    if (!response.ok || cookie === '') {
      throw new Error(`Glewlwyd admin sign-in failed: HTTP ${response.status}`);
    }
    return new AdminSession(api, cookie);
  }

  async post(path: string, body: unknown): Promise<void> {
    const response = await fetch(`${this.#api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: this.#cookie },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(
        `Glewlwyd admin API POST ${path}: HTTP ${response.status} ${await response.text()}`,
      );
    }
  }
}
