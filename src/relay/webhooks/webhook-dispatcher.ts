// Every account's webhook endpoints: one WebhookEndpoint each, woken when the event log writes, rebuilt on reload.
// Nothing here is on the SMTP path: endpoints read the log file after it is written, never the accept or delivery code.
import type { Logger } from 'pino';
import type { AccountConfig } from '../config/index.js';
import { HttpTransport, type WebhookTransport } from './http-sender.js';
import {
  WebhookEndpoint,
  type EndpointContext,
  type EndpointStatus,
  type EventSource,
  type WebhookRetryPolicy,
} from './webhook-endpoint.js';
import { systemClock, type Clock } from '../timers/clock.js';

export interface WebhookDispatcherOptions {
  source: EventSource & { onWritten(fn: () => void): () => void };
  /** <data>/webhooks */
  dir: string;
  logger: Logger;
  clock?: Clock;
  random?: () => number;
  transport?: WebhookTransport;
  retry?: Partial<WebhookRetryPolicy>;
  saveDelayMs?: number;
}

/** What the admin API uses. */
export interface WebhookAdmin {
  list(): EndpointStatus[];
  endpoint(account: string, id: string): WebhookEndpoint | null;
}

export class WebhookDispatcher implements WebhookAdmin {
  private readonly endpoints = new Map<string, WebhookEndpoint>();
  private readonly ctx: EndpointContext;
  private readonly unsubscribe: () => void;
  private readonly ownTransport: WebhookTransport | null;

  private constructor(private readonly o: WebhookDispatcherOptions) {
    this.ownTransport = o.transport ? null : new HttpTransport(64);
    this.ctx = {
      source: o.source,
      transport: o.transport ?? this.ownTransport!,
      dir: o.dir,
      logger: o.logger,
      clock: o.clock ?? systemClock,
      random: o.random ?? Math.random,
      retry: { baseMs: o.retry?.baseMs ?? 10_000, maxMs: o.retry?.maxMs ?? 3_600_000 },
      saveDelayMs: o.saveDelayMs ?? 500,
    };
    this.unsubscribe = o.source.onWritten(() => {
      for (const ep of this.endpoints.values()) ep.wake();
    });
  }

  static async start(accounts: readonly AccountConfig[], o: WebhookDispatcherOptions): Promise<WebhookDispatcher> {
    const d = new WebhookDispatcher(o);
    await d.reload(accounts);
    return d;
  }

  /** Adds new endpoints, reconfigures kept ones, stops removed ones (their saved state stays for a later return). */
  async reload(accounts: readonly AccountConfig[]): Promise<void> {
    const wanted = new Set<string>();
    for (const a of accounts) {
      for (const w of a.webhooks) {
        const key = `${a.id}\u0000${w.id}`;
        wanted.add(key);
        const ep = this.endpoints.get(key);
        if (ep) ep.configure(w);
        else {
          if (w.url.startsWith('http://')) {
            this.o.logger.warn({ account: a.id, webhook: w.id, url: w.url }, 'webhook URL is http://: events and signatures travel in clear (fine on loopback or behind a TLS proxy)');
          }
          this.endpoints.set(key, await WebhookEndpoint.open(a.id, w, this.ctx));
        }
      }
    }
    for (const [key, ep] of this.endpoints) {
      if (wanted.has(key)) continue;
      this.endpoints.delete(key);
      await ep.stop();
    }
  }

  list(): EndpointStatus[] {
    return [...this.endpoints.values()].map((e) => e.status());
  }

  endpoint(account: string, id: string): WebhookEndpoint | null {
    return this.endpoints.get(`${account}\u0000${id}`) ?? null;
  }

  /** Stops every endpoint and saves its cursor. */
  async stop(): Promise<void> {
    this.unsubscribe();
    await Promise.all([...this.endpoints.values()].map((e) => e.stop()));
    this.ownTransport?.close();
  }
}
