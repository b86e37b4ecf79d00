// The `smtp` route: delivers through a smarthost over a pool of SmtpClient connections.
// Each recipient has its own composed .eml, so each recipient is one SMTP transaction (on a pooled connection).
//
// Outcomes (smtp-outcome.ts): 2xx delivered; 4xx deferred; 5xx failed, a hard bounce when it proves the address bad.
// Every session-level failure defers: connection refused or dropped, timeouts, a 5xx greeting/EHLO, AUTH refused,
// "TLS required but not offered" and "certificate invalid" (an operator can fix the smarthost or the route's
// caFile/verifyCertificate; failing the mail would lose it). Only local refusals that no retry can change fail:
// the message needs SMTPUTF8 the smarthost lacks, it exceeds the smarthost's SIZE, or an address is malformed.
import { readFile } from 'node:fs/promises';
import { SmtpClientPool, type SmtpClientPoolStats, type SmtpClientTimeouts } from '../../protocol/index.js';
import type { SmtpRouteConfig } from '../config/index.js';
import type { OutboundMessage, OutboundRecipient, RecipientOutcome, ReturnPathOf, Route } from './route.js';
import { outcomeOfReply, outcomeOfError } from './smtp-outcome.js';

export interface RouteSmtpOptions {
  /** Our name in EHLO; default os.hostname() (the lead passes config.hostname). */
  clientName?: string;
  /** RFC 5321 timeouts by default; tests make them small. */
  timeouts?: Partial<SmtpClientTimeouts>;
  /** Idle pooled connections are closed after this long; default 30 s. */
  idleTimeoutMs?: number;
  /** VERP: each recipient's envelope sender (the route's returnPath); null = envelopeFrom, else the message's. */
  returnPath?: ReturnPathOf | null;
}

export class RouteSmtp implements Route {
  readonly type = 'smtp';
  readonly name: string;
  /** Messages worth delivering at once: one per pooled connection (the scheduler's per-route limit). */
  readonly concurrency: number;
  private readonly config: SmtpRouteConfig;
  private readonly options: RouteSmtpOptions;
  private pool: Promise<SmtpClientPool> | null = null;
  private closed = false;

  constructor(name: string, config: SmtpRouteConfig, options: RouteSmtpOptions = {}) {
    this.name = name;
    this.config = config;
    this.options = options;
    this.concurrency = config.poolSize;
  }

  /** Pool statistics (null before the first delivery). */
  async stats(): Promise<SmtpClientPoolStats | null> {
    return this.pool ? (await this.pool).stats() : null;
  }

  /** The pool is made at the first delivery, after reading caFile (a failure is retried next time). */
  private poolOf(): Promise<SmtpClientPool> {
    this.pool ??= (async () => {
      const c = this.config;
      const ca = c.caFile === null ? null : await readFile(c.caFile);
      return new SmtpClientPool({
        host: c.host,
        port: c.port,
        tls: c.tls,
        verifyCertificate: c.verifyCertificate,
        ca,
        auth: c.username !== null && c.password !== null ? { username: c.username, password: c.password } : null,
        poolSize: c.poolSize,
        maxMessagesPerConnection: c.maxMessagesPerConnection,
        ...(this.options.clientName === undefined ? {} : { clientName: this.options.clientName }),
        ...(this.options.timeouts === undefined ? {} : { timeouts: this.options.timeouts }),
        ...(this.options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: this.options.idleTimeoutMs }),
      });
    })();
    this.pool.catch(() => {
      this.pool = null;
    });
    return this.pool;
  }

  async deliver(msg: OutboundMessage): Promise<RecipientOutcome[]> {
    if (this.closed) return msg.recipients.map((r) => ({ recipient: r.address, status: 'deferred', reply: `route ${this.name} is closed` }));
    let pool: SmtpClientPool;
    try {
      pool = await this.poolOf();
    } catch (err) {
      const reply = `cannot read caFile ${this.config.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      return msg.recipients.map((r) => ({ recipient: r.address, status: 'deferred', reply }));
    }
    const from = this.config.envelopeFrom ?? msg.from;
    const returnPath = this.options.returnPath ?? null;
    return Promise.all(msg.recipients.map((r, i) => this.deliverOne(pool, returnPath === null ? from : returnPath(msg.id, r.index ?? i), r)));
  }

  private async deliverOne(pool: SmtpClientPool, from: string, r: OutboundRecipient): Promise<RecipientOutcome> {
    try {
      const result = await pool.send({ from, to: [r.address] }, r.body);
      return outcomeOfReply(r.address, result.recipients[0]!);
    } catch (err) {
      return outcomeOfError(r.address, err);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pool) await (await this.pool.catch(() => null))?.close();
  }
}
