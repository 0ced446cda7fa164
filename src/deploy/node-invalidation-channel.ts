/**
 * The invalidation channel on one Redis node: one subscriber connection, up only between a
 * confirmed `SUBSCRIBE` and the first sign of trouble (the connection closing or reconnecting,
 * a failed resubscription, a heartbeat `PING` that does not come back within a second).
 *
 * A subscription that keeps failing while the connection itself is fine (an ACL without the
 * channel) is retried on a new connection after 1 s, 2 s, 4 s ... at most 30 s: ioredis resets
 * its own retry delay on every `ready`, so without this each worker would reconnect (AUTH,
 * ready check, SUBSCRIBE) as fast as Redis answers, forever.
 *
 * @module
 */
import type { Redis } from 'ioredis';
import { StoreError } from '../errors.js';
import type { InvalidationChannel, InvalidationListener } from './invalidation-channel.js';

/** How often a subscription is checked, and how long a check may take (ms). */
export const HEARTBEAT_MS = 1000;

/** The longest wait between two tries of a channel that keeps failing (ms). */
export const MAX_RETRY_DELAY_MS = 30_000;

/**
 * How long to wait before the next try after `failures` failed ones in a row: 1 s, 2 s, 4 s ...
 * {@link MAX_RETRY_DELAY_MS}; never less than a second, whatever `failures` is.
 */
export function retryDelay(failures: number): number {
  // A count that is not a number still gets the lower bound.
  const exponent = failures > 1 ? Math.min(failures - 1, 16) : 0;
  return Math.min(Math.max(HEARTBEAT_MS * 2 ** exponent, HEARTBEAT_MS), MAX_RETRY_DELAY_MS);
}

/** Subscribes to `name` on one connection, made again whenever it drops. */
export class NodeInvalidationChannel implements InvalidationChannel {
  readonly #subscriber: Redis;
  readonly #name: string;
  readonly #report: ((error: Error) => void) | undefined;
  #listener: InvalidationListener | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  /** The connection made again after a backoff. */
  #retry: ReturnType<typeof setTimeout> | undefined;
  /** Failed subscriptions since the last confirmed one. */
  #failures = 0;
  /** Heartbeat pings in a row that did not come back (reset by an answered one). */
  #unanswered = 0;
  #up = false;
  #closed = false;

  /**
   * @param subscriber A connection of the channel's own, not connected yet (`lazyConnect`)
   *   and without `autoResubscribe`: the channel subscribes on every `ready` itself.
   * @param name The channel name.
   * @param report Told once per run of failed subscriptions (the first of them), with an error
   *   that holds no command arguments.
   */
  constructor(subscriber: Redis, name: string, report?: (error: Error) => void) {
    this.#subscriber = subscriber;
    this.#name = name;
    this.#report = report;
  }

  get up(): boolean {
    return this.#up;
  }

  listen(listener: InvalidationListener): void {
    this.#listener = listener;
    const sub = this.#subscriber;
    sub.on('error', () => {
      // Connection errors also close the connection: 'close' below takes the channel down.
    });
    sub.on('close', () => this.#down());
    sub.on('reconnecting', () => this.#down());
    sub.on('ready', () => this.#subscribe());
    sub.on('message', (channel: string, sessionId: string) => {
      if (channel === this.#name && !this.#closed) this.#listener?.message(sessionId);
    });
    this.#connect();
    // A cut that closes nothing (a silent network partition) is found by a ping that does not
    // come back in time: the connection is then dropped and remade.
    this.#heartbeat = setInterval(() => this.#check(), HEARTBEAT_MS);
    this.#heartbeat.unref?.();
  }

  close(): void {
    this.#closed = true;
    this.#up = false;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#subscriber.disconnect();
  }

  #connect(): void {
    this.#subscriber.connect().catch(() => {
      // Redis unreachable: ioredis keeps retrying (its own delays); the channel stays down.
    });
  }

  #down(): void {
    this.#up = false;
    if (!this.#closed) this.#listener?.down();
  }

  /**
   * Drops the connection and makes a new one: at once (well, after ioredis' retry delay) when
   * `delay` is 0, else after `delay` ms, during which the channel stays down.
   */
  #reconnect(delay: number): void {
    this.#down();
    if (this.#closed || this.#retry !== undefined) return;
    if (delay === 0) {
      this.#subscriber.disconnect(true);
      return;
    }
    this.#subscriber.disconnect();
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (!this.#closed) this.#connect();
    }, delay);
    this.#retry.unref?.();
  }

  #subscribe(): void {
    this.#subscriber.subscribe(this.#name).then(
      () => {
        if (this.#closed || this.#subscriber.status !== 'ready') return;
        this.#failures = 0;
        this.#up = true;
        this.#listener?.up();
      },
      // Not subscribed (e.g. an ACL without the channel): stay down, try again on a new
      // connection, later each time. A connection that closed meanwhile is not a refusal:
      // ioredis makes it again (its 'close' took the channel down).
      (cause: unknown) => {
        if (this.#closed || this.#subscriber.status !== 'ready') return;
        this.#failures++;
        if (this.#failures === 1) this.#report?.(this.#refused(cause));
        this.#reconnect(retryDelay(this.#failures));
      },
    );
  }

  /** What the app is told about a refused subscription: where, what to check, and why. */
  #refused(cause: unknown): Error {
    const { host, port } = this.#subscriber.options;
    const stream = this.#subscriber.stream;
    // Where the connection actually went (a Sentinel-managed client: the current primary).
    const address = stream?.remoteAddress
      ? `${stream.remoteAddress}:${stream.remotePort}`
      : `${host}:${port}`;
    return new StoreError(
      `The session cache cannot subscribe to ${this.#name} on ${address} (is SUBSCRIBE allowed for this user?): every request reads Redis until it can.`,
      // The reply's message only: ioredis puts the command and its arguments on its errors.
      { cause: new Error(cause instanceof Error ? cause.message : String(cause)) },
    );
  }

  #check(): void {
    if (!this.#up) return;
    let settled = false;
    // Settled once: a ping that times out is rejected again when its connection is dropped.
    const settle = (answered: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (answered) {
        this.#unanswered = 0;
        return;
      }
      // The first miss reconnects at once; misses in a row (with subscriptions that succeed in
      // between) back off like refused subscriptions.
      this.#unanswered++;
      this.#reconnect(this.#unanswered === 1 ? 0 : retryDelay(this.#unanswered - 1));
    };
    const timer = setTimeout(() => settle(false), HEARTBEAT_MS);
    timer.unref?.();
    this.#subscriber.ping().then(
      () => settle(true),
      () => settle(false),
    );
  }
}
