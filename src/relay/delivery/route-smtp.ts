// The `smtp` route: delivers through a smarthost over a pool of SmtpClient connections.
// Each recipient has its own composed .eml, so each recipient is one SMTP transaction (on a pooled connection).
//
// Outcomes: 2xx delivered; 4xx deferred; 5xx failed, with the upstream reply. A failure is a hard bounce (the
// scheduler suppresses the address) when it proves the address bad: a 5xx to RCPT, or any 5xx whose enhanced code
// is about the address or mailbox (5.1.x, 5.2.x, RFC 3463). A 5xx to the content (e.g. 554 5.7.1 at the final
// dot) or to MAIL FROM (prefixed "MAIL FROM refused:") fails this message only.
// Every session-level failure defers: connection refused or dropped, timeouts, a 5xx greeting/EHLO, AUTH refused,
// "TLS required but not offered" and "certificate invalid" (an operator can fix the smarthost or the route's
// caFile/verifyCertificate; failing the mail would lose it). Only local refusals that no retry can change fail:
// the message needs SMTPUTF8 the smarthost lacks, it exceeds the smarthost's SIZE, or an address is malformed.
import { readFile } from 'node:fs/promises';
import {
  SmtpClientError,
  SmtpClientPool,
  formatClientReply,
  type SmtpClientPoolStats,
  type SmtpClientTimeouts,
} from '../../protocol/index.js';
import type { SmtpRouteConfig } from '../config/index.js';
import type { OutboundMessage, OutboundRecipient, RecipientOutcome, Route } from './route.js';

export interface RouteSmtpOptions {
  /** Our name in EHLO; default os.hostname() (the lead passes config.hostname). */
  clientName?: string;
  /** RFC 5321 timeouts by default; tests make them small. */
  timeouts?: Partial<SmtpClientTimeouts>;
  /** Idle pooled connections are closed after this long; default 30 s. */
  idleTimeoutMs?: number;
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
    return Promise.all(msg.recipients.map((r) => this.deliverOne(pool, from, r)));
  }

  private async deliverOne(pool: SmtpClientPool, from: string, r: OutboundRecipient): Promise<RecipientOutcome> {
    try {
      const result = await pool.send({ from, to: [r.address] }, r.body);
      const d = result.recipients[0]!;
      const reply = formatClientReply(d.reply);
      if (d.accepted) return { recipient: r.address, status: 'delivered', reply };
      if (d.reply.code < 500) return { recipient: r.address, status: 'deferred', reply };
      if (d.stage === 'MAIL') return { recipient: r.address, status: 'failed', reply: `MAIL FROM refused: ${reply}`, hardBounce: false };
      const addressStatus = d.reply.enhanced !== null && /^5\.[12]\./.test(d.reply.enhanced);
      return { recipient: r.address, status: 'failed', reply, hardBounce: d.stage === 'RCPT' || addressStatus };
    } catch (err) {
      const message = (err as Error).message;
      if (err instanceof SmtpClientError && err.permanent) return { recipient: r.address, status: 'failed', reply: `refused locally: ${message}`, hardBounce: false };
      return { recipient: r.address, status: 'deferred', reply: err instanceof SmtpClientError ? message : `local error: ${message}` };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pool) await (await this.pool.catch(() => null))?.close();
  }
}
