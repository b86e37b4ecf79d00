// One destination of the `mx` route (a set of MX hosts, MxResolution.destination): its pooled connections, capped
// at `maxConnections` over all its hosts, and its pause.
//
// Connections: an idle one is reused (most recent first) for up to `maxMessagesPerConnection` transactions, then
// closed; one idle longer than `idleTimeoutMs` is closed. A caller may need a verified-TLS connection (MTA-STS
// enforce): an idle connection without it is not handed out, and is closed when its slot is needed.
//
// Pause: a 421, `pauseAfterDeferrals` 4xx replies in a row, or no MX host reachable pause the destination (not the
// route) for `pauseMinMs` doubling per pause in a row up to `pauseMaxMs`; while paused, acquire() throws
// DestinationPausedError at once and idle connections are closed. A delivered transaction resets the backoff.
import type { SmtpClient } from '../../../protocol/index.js';
import type { RouteDestinationState } from '../route.js';

export interface DestinationOptions {
  maxConnections: number;
  maxMessagesPerConnection: number;
  idleTimeoutMs: number;
  pauseMinMs: number;
  pauseMaxMs: number;
  pauseAfterDeferrals: number;
  now(): number;
}

/** A connection and whether its TLS was verified against the MX name. */
export interface DestinationConnection {
  client: SmtpClient;
  verified: boolean;
}

/** What /api/queue shows of a destination (the Route interface's contract). */
export type DestinationState = RouteDestinationState;

export class DestinationPausedError extends Error {
  constructor(
    readonly destination: string,
    readonly until: number,
    readonly reason: string,
  ) {
    super(`destination ${destination} paused until ${new Date(until).toISOString()}: ${reason}`);
    this.name = 'DestinationPausedError';
  }
}

export class Destination {
  private connections = 0;
  private readonly idle: { conn: DestinationConnection; timer: NodeJS.Timeout }[] = [];
  private readonly waiters: (() => void)[] = [];
  private pausedUntil = 0;
  private pauseReason = '';
  private pausesInARow = 0;
  private deferralsInARow = 0;
  private lastError: string | null = null;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly o: DestinationOptions,
  ) {}

  /** True when nothing is open, waiting or paused: the route may forget this destination. */
  get unused(): boolean {
    return this.connections === 0 && this.waiters.length === 0 && !this.paused();
  }

  paused(): boolean {
    return this.pausedUntil > this.o.now();
  }

  /** The pause as an error (its message says until when and why), or null when not paused. */
  pauseError(): DestinationPausedError | null {
    return this.paused() ? new DestinationPausedError(this.name, this.pausedUntil, this.pauseReason) : null;
  }

  /**
   * A connection for one or more transactions: an idle one, or one `open` makes (it walks the MX hosts) when a slot
   * is free, else the next one released. `open` failing frees the slot and rethrows.
   */
  async acquire(open: () => Promise<DestinationConnection>, needVerified: boolean): Promise<{ conn: DestinationConnection; reused: boolean }> {
    for (;;) {
      const pause = this.pauseError();
      if (pause) throw pause;
      if (this.closed) throw new Error(`destination ${this.name} is closed`);
      const reused = this.takeIdle(needVerified);
      if (reused) return { conn: reused, reused: true };
      if (this.connections >= this.o.maxConnections && needVerified) this.closeOneIdle();
      if (this.connections < this.o.maxConnections) {
        this.connections++;
        try {
          return { conn: await open(), reused: false };
        } catch (err) {
          this.connections--;
          this.wakeOne();
          throw err;
        }
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Gives a connection back: kept for reuse when it can carry another transaction, else closed. */
  release(conn: DestinationConnection): void {
    const { client } = conn;
    if (!this.closed && !this.paused() && client.usable && client.transactions < this.o.maxMessagesPerConnection) {
      const timer = setTimeout(() => this.expire(conn), this.o.idleTimeoutMs);
      timer.unref();
      this.idle.push({ conn, timer });
    } else {
      void client.quit();
      this.connections--;
    }
    this.wakeOne();
  }

  /** A delivered transaction: the destination works, the backoff starts over. */
  recordDelivered(): void {
    this.deferralsInARow = 0;
    this.pausesInARow = 0;
  }

  /** A 4xx reply: a 421 pauses at once, a run of them pauses too. */
  recordDeferred(reply: string, code: number): void {
    this.lastError = reply;
    this.deferralsInARow++;
    if (code === 421 || this.deferralsInARow >= this.o.pauseAfterDeferrals) this.pause(reply);
  }

  /** A session that could not be opened on any MX host (or another error): kept as the last error, pausing when asked. */
  recordError(message: string, pause: boolean): void {
    this.lastError = message;
    if (pause) this.pause(message);
  }

  pause(reason: string): void {
    const ms = Math.min(this.o.pauseMinMs * 2 ** this.pausesInARow, this.o.pauseMaxMs);
    this.pausesInARow++;
    this.deferralsInARow = 0;
    this.pausedUntil = this.o.now() + ms;
    this.pauseReason = reason;
    while (this.idle.length > 0) this.closeOneIdle();
    // Waiters learn of the pause when they look again.
    for (const w of this.waiters.splice(0)) w();
  }

  state(): DestinationState {
    return {
      destination: this.name,
      waiting: this.waiters.length,
      connections: this.connections,
      idle: this.idle.length,
      lastError: this.lastError,
      pausedUntil: this.paused() ? new Date(this.pausedUntil).toISOString() : null,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w();
    const idle = this.idle.splice(0);
    this.connections -= idle.length;
    await Promise.all(
      idle.map(async ({ conn, timer }) => {
        clearTimeout(timer);
        await conn.client.quit();
      }),
    );
  }

  private takeIdle(needVerified: boolean): DestinationConnection | null {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const { conn, timer } = this.idle[i]!;
      if (!conn.client.usable) {
        clearTimeout(timer);
        this.idle.splice(i, 1);
        this.connections--;
        continue;
      }
      if (needVerified && !conn.verified) continue;
      clearTimeout(timer);
      this.idle.splice(i, 1);
      return conn;
    }
    return null;
  }

  /** Closes the least recently used idle connection, freeing its slot. */
  private closeOneIdle(): void {
    const entry = this.idle.shift();
    if (!entry) return;
    clearTimeout(entry.timer);
    this.connections--;
    void entry.conn.client.quit();
  }

  private expire(conn: DestinationConnection): void {
    const i = this.idle.findIndex((e) => e.conn === conn);
    if (i < 0) return;
    this.idle.splice(i, 1);
    this.connections--;
    void conn.client.quit();
    this.wakeOne();
  }

  private wakeOne(): void {
    this.waiters.shift()?.();
  }
}
