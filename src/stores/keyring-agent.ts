/**
 * A child process that talks to the OS keychain through `@napi-rs/keyring`.
 *
 * Why a child process: the native calls can block their thread forever (on Linux the
 * D-Bus connection is made synchronously, and a silent bus or a keyring waiting for an
 * unlock prompt never answers). A blocked worker thread cannot be stopped and keeps the
 * process from exiting; a child process can always be killed. Each call is bounded by a
 * timeout; after a timeout the agent is killed and the keychain is reported unusable.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { ErrorCodes, StoreError } from '../errors.js';

/** Options for {@link KeyringAgent}. */
export interface KeyringAgentOptions {
  /** Bound on every keychain call, in milliseconds (agent start included). Default 5000. */
  timeoutMs?: number;
  /**
   * Linux only: the credential store to require. Default `'secret-service'`, so tokens
   * never silently land in the kernel keyring (which forgets them at logout).
   */
  linuxStore?: 'secret-service' | 'keyutils';
}

/** One credential found by {@link KeyringAgent.find}. */
export interface KeyringCredential {
  /** The account (user name) of the entry. */
  account: string;
  /** Its password (secret). */
  password: string;
}

type Op =
  | { op: 'get'; service: string; account: string }
  | { op: 'set'; service: string; account: string; value: string }
  | { op: 'delete'; service: string; account: string }
  | { op: 'find'; service: string };

interface Pending {
  child: ChildProcess;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

// CommonJS, run with `node -e`: argv[1] is the module path, argv[2] the Linux store.
const AGENT_SOURCE = `
const k = require(process.argv[1]);
const options = process.argv[2] ? { linux: { store: process.argv[2] } } : undefined;
const rl = require('node:readline').createInterface({ input: process.stdin });
const reply = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
let queue = Promise.resolve();
rl.on('line', (line) => {
  queue = queue.then(async () => {
    let req;
    try { req = JSON.parse(line); } catch { return; }
    try {
      let value;
      if (req.op === 'get') value = await new k.AsyncEntry(req.service, req.account, options).getPassword();
      else if (req.op === 'set') value = await new k.AsyncEntry(req.service, req.account, options).setPassword(req.value);
      else if (req.op === 'delete') value = await new k.AsyncEntry(req.service, req.account, options).deleteCredential();
      else if (req.op === 'find') value = (await k.findCredentialsAsync(req.service)).map((c) => ({ account: c.account, password: c.password }));
      reply({ id: req.id, ok: true, value: value === undefined ? null : value });
    } catch (error) {
      reply({ id: req.id, ok: false, error: String((error && error.message) || error) });
    }
  });
});
rl.on('close', () => queue.then(() => process.exit(0)));
`;

/** Talks to the OS keychain through a killable child process. Create one per store; call {@link close} when done. */
export class KeyringAgent {
  readonly #timeoutMs: number;
  readonly #linuxStore: string;
  #child: ChildProcess | undefined;
  #buffer = '';
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #stderr = '';
  /** Set once a call timed out: later calls fail at once instead of waiting again. */
  #broken: StoreError | undefined;

  constructor(options: KeyringAgentOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#linuxStore = process.platform === 'linux' ? (options.linuxStore ?? 'secret-service') : '';
  }

  /** Reads a password; `null` when there is none. */
  get(service: string, account: string): Promise<string | null> {
    return this.#call({ op: 'get', service, account }) as Promise<string | null>;
  }

  /** Writes a password. */
  async set(service: string, account: string, value: string): Promise<void> {
    await this.#call({ op: 'set', service, account, value });
  }

  /** Deletes a password; `true` when one was deleted. */
  async delete(service: string, account: string): Promise<boolean> {
    return (await this.#call({ op: 'delete', service, account })) === true;
  }

  /** Every credential of `service`. */
  find(service: string): Promise<KeyringCredential[]> {
    return this.#call({ op: 'find', service }) as Promise<KeyringCredential[]>;
  }

  /** Stops the agent process. Later calls start a new one. */
  close(): void {
    const child = this.#child;
    this.#child = undefined;
    child?.stdin?.end();
    child?.kill('SIGKILL');
  }

  #start(): ChildProcess {
    if (this.#child) return this.#child;
    const modulePath = createRequire(import.meta.url).resolve('@napi-rs/keyring');
    const child = spawn(process.execPath, ['-e', AGENT_SOURCE, modulePath, this.#linuxStore], {
      // spawn() passes none of this process's flags (--import tsx, --cpu-prof...): the agent is plain JS.
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.#child = child;
    this.#buffer = '';
    this.#stderr = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.#onData(chunk));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-2000);
    });
    child.stdin?.on('error', () => {});
    child.on('error', (error) =>
      this.#failAll(child, `could not start the keychain agent: ${error.message}`),
    );
    child.on('exit', (code, signal) => {
      const detail = this.#stderr.trim().split('\n').pop() ?? '';
      this.#failAll(
        child,
        `the keychain agent exited (${signal ?? code})${detail ? `: ${detail}` : ''}`,
      );
    });
    // Idle agent never keeps this process alive; pending calls hold a ref'd timer instead.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
    return child;
  }

  #failAll(child: ChildProcess, message: string): void {
    if (this.#child === child) this.#child = undefined;
    for (const [id, pending] of this.#pending) {
      if (pending.child !== child) continue;
      clearTimeout(pending.timer);
      pending.reject(storeError(`OS keychain failed: ${message}`));
      this.#pending.delete(id);
    }
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    for (let i = this.#buffer.indexOf('\n'); i >= 0; i = this.#buffer.indexOf('\n')) {
      const line = this.#buffer.slice(0, i);
      this.#buffer = this.#buffer.slice(i + 1);
      let message: { id: number; ok: boolean; value?: unknown; error?: string };
      try {
        message = JSON.parse(line);
      } catch {
        continue;
      }
      const pending = this.#pending.get(message.id);
      if (!pending) continue;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(storeError(`OS keychain error: ${message.error}`));
    }
  }

  #call(request: Op): Promise<unknown> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = this.#start();
      } catch (error) {
        reject(storeError(`could not start the keychain agent: ${(error as Error).message}`));
        return;
      }
      const id = this.#nextId++;
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        this.#broken = storeError(
          `The OS keychain did not answer within ${this.#timeoutMs} ms (is a Secret Service such as gnome-keyring running and unlocked?).`,
        );
        reject(this.#broken);
        this.close();
      }, this.#timeoutMs);
      this.#pending.set(id, { child, resolve, reject, timer });
      child.stdin?.write(`${JSON.stringify({ id, ...request })}\n`);
    });
  }
}

function storeError(message: string): StoreError {
  return new StoreError(message, { code: ErrorCodes.STORE_ERROR });
}
