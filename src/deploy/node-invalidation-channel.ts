/**
 * The invalidation channel on one Redis node: one subscriber connection, up only between a
 * confirmed `SUBSCRIBE` and the first sign of trouble (the connection closing or reconnecting,
 * a failed resubscription, a heartbeat `PING` that does not come back within a second).
 *
 * @module
 */
import type { Redis } from 'ioredis';
import type { InvalidationChannel, InvalidationListener } from './invalidation-channel.js';

/** How often a subscription is checked, and how long a check may take (ms). */
export const HEARTBEAT_MS = 1000;

/** Subscribes to `name` on one connection, made again (by ioredis) whenever it drops. */
export class NodeInvalidationChannel implements InvalidationChannel {
  readonly #subscriber: Redis;
  readonly #name: string;
  #listener: InvalidationListener | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #up = false;
  #closed = false;

  /**
   * @param subscriber A connection of the channel's own, not connected yet (`lazyConnect`)
   *   and without `autoResubscribe`: the channel subscribes on every `ready` itself.
   * @param name The channel name.
   */
  constructor(subscriber: Redis, name: string) {
    this.#subscriber = subscriber;
    this.#name = name;
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
    sub.connect().catch(() => {
      // Redis down at start: ioredis keeps retrying; the channel stays down meanwhile.
    });
    // A cut that closes nothing (a silent network partition) is found by a ping that does not
    // come back in time: the connection is then dropped and remade.
    this.#heartbeat = setInterval(() => this.#check(), HEARTBEAT_MS);
    this.#heartbeat.unref?.();
  }

  close(): void {
    this.#closed = true;
    this.#up = false;
    clearInterval(this.#heartbeat);
    this.#subscriber.disconnect();
  }

  #down(): void {
    this.#up = false;
    if (!this.#closed) this.#listener?.down();
  }

  /** Drops the connection (ioredis makes a new one, after its retry delay). */
  #reconnect(): void {
    this.#down();
    if (!this.#closed) this.#subscriber.disconnect(true);
  }

  #subscribe(): void {
    this.#subscriber.subscribe(this.#name).then(
      () => {
        if (this.#closed || this.#subscriber.status !== 'ready') return;
        this.#up = true;
        this.#listener?.up();
      },
      // Not subscribed (e.g. an ACL without the channel): stay down, try on a new connection.
      () => this.#reconnect(),
    );
  }

  #check(): void {
    if (!this.#up) return;
    let answered = false;
    const timer = setTimeout(() => {
      if (!answered) this.#reconnect();
    }, HEARTBEAT_MS);
    timer.unref?.();
    this.#subscriber.ping().then(
      () => {
        answered = true;
        clearTimeout(timer);
      },
      () => {
        answered = true;
        clearTimeout(timer);
        this.#reconnect();
      },
    );
  }
}
