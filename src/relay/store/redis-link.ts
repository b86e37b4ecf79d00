// The Redis store's two connections: one for commands, one subscribed to the change channel (a subscribed
// connection can run nothing else). Both reconnect on their own with a bounded backoff; commands never wait
// for a connection (no offline queue) and time out, so a Redis that is down or stuck costs a caller at most
// COMMAND_TIMEOUT_MS and never a hang. The link is "connected" while both are ready; the store decides what
// that means for its caches (see redis-store.ts).
import { Redis, type RedisOptions } from 'ioredis';
import type { LuaScript } from './redis-scripts.js';

/** A command waits at most this for its reply. */
export const COMMAND_TIMEOUT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect delays double from the first to the last, then stay there: attempts never stop nor pile up. */
const RECONNECT_FIRST_MS = 50;
const RECONNECT_MAX_MS = 2_000;

export interface RedisLinkEvents {
  /** Both connections are ready (at the first connect and after every reconnect). */
  connected(): void;
  /** One of them was lost (once per loss, until `connected` again). */
  disconnected(reason: string): void;
  /** A message of the change channel. */
  message(text: string): void;
}

/** The Redis error of a script that is not loaded (EVALSHA before SCRIPT LOAD, or Redis restarted). */
const isNoScript = (e: unknown): boolean => e instanceof Error && e.message.startsWith('NOSCRIPT');

export class RedisLink {
  readonly commands: Redis;
  private readonly subscriber: Redis;
  private isConnected = false;
  /** The last connection error, in words. */
  lastError: string | null = null;
  private closed = false;
  /** Requests sent to Redis (a pipeline or a MULTI counts once: it is one round trip). */
  roundTrips = 0;

  constructor(url: string, private readonly channel: string, private readonly events: RedisLinkEvents) {
    const common: RedisOptions = {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(RECONNECT_FIRST_MS * 2 ** Math.min(attempt, 16), RECONNECT_MAX_MS),
      // A request cut by a disconnect fails: the store journals it or falls back, it is never replayed blindly.
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      connectionName: 'txrelay',
    };
    this.commands = new Redis(url, { ...common, enableOfflineQueue: false, commandTimeout: COMMAND_TIMEOUT_MS });
    // The subscriber queues its SUBSCRIBE until connected and subscribes again after each reconnect.
    this.subscriber = new Redis(url, { ...common, enableOfflineQueue: true, autoResubscribe: true });
    for (const c of [this.commands, this.subscriber]) {
      // Without an 'error' listener an EventEmitter throws: connection errors are reported through `disconnected`.
      c.on('error', (e: Error) => {
        this.lastError = e.message;
      });
      c.on('ready', () => this.checkConnected());
      c.on('close', () => this.lost(this.lastError ?? 'connection closed'));
    }
    this.subscriber.on('message', (ch: string, text: string) => {
      if (ch === this.channel) this.events.message(text);
    });
  }

  /** Starts connecting; resolves when both connections are ready or at the first failure (reconnects go on). */
  async connect(): Promise<void> {
    await Promise.all([this.commands.connect(), this.subscriber.connect()]);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Runs a script by its SHA, loading it on NOSCRIPT (a restarted Redis has forgotten it). */
  async run(script: LuaScript, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    this.roundTrips++;
    try {
      return await this.commands.evalsha(script.sha, script.keys, ...keys, ...args);
    } catch (e) {
      if (!isNoScript(e)) throw e;
      this.roundTrips++;
      return await this.commands.eval(script.lua, script.keys, ...keys, ...args);
    }
  }

  /**
   * Reports a failed request. A timeout means Redis is stuck (a paused process, a full network path) while the
   * TCP connection looks open: the link drops and reconnects, so the store goes down and falls back at once
   * instead of making every later request wait COMMAND_TIMEOUT_MS too.
   */
  failed(e: Error): void {
    if (this.closed || !/timed out/i.test(e.message)) return;
    this.lastError = `Redis did not answer within ${COMMAND_TIMEOUT_MS} ms`;
    this.lost(this.lastError);
    this.commands.disconnect(true);
    this.subscriber.disconnect(true);
  }

  /** Makes sure the subscription is in place (idempotent). */
  async subscribe(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  /** Closes both connections at once: nothing waits for a reply, so this is prompt even when Redis is down. */
  close(): void {
    this.closed = true;
    this.isConnected = false;
    this.commands.disconnect();
    this.subscriber.disconnect();
  }

  private checkConnected(): void {
    if (this.closed || this.isConnected) return;
    if (this.commands.status !== 'ready' || this.subscriber.status !== 'ready') return;
    this.isConnected = true;
    this.events.connected();
  }

  private lost(reason: string): void {
    this.lastError = reason;
    if (this.closed || !this.isConnected) return;
    this.isConnected = false;
    this.events.disconnected(reason);
  }
}
