// A pool of SmtpClient connections to one server: at most `poolSize` open at once, each reused for up to
// `maxMessagesPerConnection` transactions (RSET between them), idle ones closed after `idleTimeoutMs`.
import { SmtpClient, type Envelope, type SmtpClientOptions, type TransactionResult } from './smtp-client.js';
import { ConnectionClosedError, ConnectionFailedError, SmtpClientError } from './client-errors.js';

export interface SmtpClientPoolOptions extends SmtpClientOptions {
  poolSize: number;
  maxMessagesPerConnection: number;
  /** An unused connection is closed (QUIT) after this long; default 30 s, less than most servers' own limits. */
  idleTimeoutMs?: number;
}

export interface SmtpClientPoolStats {
  /** Connections open or being opened. */
  open: number;
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
  /** Connections opened since the pool was made. */
  connectionsOpened: number;
}

/** send() after close(). */
export class PoolClosedError extends SmtpClientError {
  readonly kind = 'connection-closed';
  constructor(host: string) {
    super(`the connection pool for ${host} is closed`);
    this.name = 'PoolClosedError';
  }
}

/** A waiter gets an idle client, or null: "a slot is free, open your own connection". */
type Waiter = (client: SmtpClient | null, err?: Error) => void;

export class SmtpClientPool {
  private readonly idle: { client: SmtpClient; timer: NodeJS.Timeout }[] = [];
  private readonly waiters: Waiter[] = [];
  private open = 0;
  private opened = 0;
  private closing = false;
  private readonly idleTimeoutMs: number;

  constructor(private readonly options: SmtpClientPoolOptions) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  }

  stats(): SmtpClientPoolStats {
    return { open: this.open, idle: this.idle.length, waiting: this.waiters.length, connectionsOpened: this.opened };
  }

  /**
   * Runs one transaction on a pooled connection. A reused connection that turns out to be dead before the body
   * was written (the server closed it while idle) is replaced once, transparently.
   */
  async send(envelope: Envelope, body: Buffer): Promise<TransactionResult> {
    for (let attempt = 0; ; attempt++) {
      const { client, reused } = await this.acquire();
      try {
        const result = await client.send(envelope, body);
        this.release(client);
        return result;
      } catch (err) {
        this.release(client);
        const stale = err instanceof ConnectionClosedError || err instanceof ConnectionFailedError;
        if (reused && attempt === 0 && stale && !client.bodyWritten) continue;
        throw err;
      }
    }
  }

  /** QUITs idle connections; connections in use close when their transaction ends. */
  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.waiters.splice(0)) w(null, new PoolClosedError(this.options.host));
    const idle = this.idle.splice(0);
    await Promise.all(
      idle.map(async ({ client, timer }) => {
        clearTimeout(timer);
        await client.quit();
      }),
    );
  }

  private async acquire(): Promise<{ client: SmtpClient; reused: boolean }> {
    if (this.closing) throw new PoolClosedError(this.options.host);
    // Most recently used first: it is the least likely to have been closed by the server.
    while (this.idle.length > 0) {
      const { client, timer } = this.idle.pop()!;
      clearTimeout(timer);
      if (client.usable) return { client, reused: true };
      this.open--;
    }
    if (this.open < this.options.poolSize) return { client: await this.connect(), reused: false };
    const handed = await new Promise<SmtpClient | null>((resolve, reject) => {
      this.waiters.push((client, err) => (err ? reject(err) : resolve(client)));
    });
    if (handed) return { client: handed, reused: true };
    return { client: await this.connect(), reused: false };
  }

  /** Opens a connection in a slot already counted or free. */
  private async connect(): Promise<SmtpClient> {
    this.open++;
    this.opened++;
    try {
      return await SmtpClient.connect(this.options);
    } catch (err) {
      this.open--;
      this.wakeOne();
      throw err;
    }
  }

  private release(client: SmtpClient): void {
    const reusable = !this.closing && client.usable && client.transactions < this.options.maxMessagesPerConnection;
    if (reusable) {
      const waiter = this.waiters.shift();
      if (waiter) return waiter(client);
      const timer = setTimeout(() => this.expire(client), this.idleTimeoutMs);
      timer.unref();
      this.idle.push({ client, timer });
      return;
    }
    void client.quit();
    this.open--;
    this.wakeOne();
  }

  private expire(client: SmtpClient): void {
    const i = this.idle.findIndex((e) => e.client === client);
    if (i < 0) return;
    this.idle.splice(i, 1);
    this.open--;
    void client.quit();
  }

  /** A slot became free: the first waiter opens its own connection. */
  private wakeOne(): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(null);
  }
}
