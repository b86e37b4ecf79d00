// Every account's webhook endpoints: one WebhookEndpoint each, woken when the event log writes, rebuilt on reload.
// Nothing here is on the SMTP path: endpoints read the log file after it is written, never the accept or delivery code.
//
// The endpoints are the configuration file's (accounts[].webhooks) and the runtime store's (made through the
// management API). An id the file uses is the file's: a stored endpoint of that id is not run. A change of the stored
// endpoints (on this relay or, with Redis, on another) is applied within STORE_RELOAD_MS: one reload for every change
// of that window, run after the reloads before it. Endpoints that did not change keep their cursor, in flight requests
// and retries; a new endpoint starts at the end of this relay's event log (see WebhookEndpoint.open). Each relay
// delivers the events of its own event log, so cursors are per relay, like the log.
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { AccountConfig, WebhookConfig } from '../config/index.js';
import type { StoredWebhook, WebhookEndpointStore } from '../store/store.js';
import { endpointStatePath } from './endpoint-state.js';
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
  /** Endpoints made through the management API, run beside the file's; null = the file's only. */
  stored?: WebhookEndpointStore | null;
  /** A change of the stored endpoints is applied this long after it (and with every other change meanwhile); default 100 ms. */
  storeReloadMs?: number;
}

/** Where an endpoint is described. */
type EndpointSource = 'config' | 'api';

const STORE_RELOAD_MS = 100;

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
  /** Where each running endpoint comes from, by key. */
  private readonly sources = new Map<string, EndpointSource>();
  /** The accounts of the last reload: the stored endpoints of an account the file no longer has are not run. */
  private accounts: readonly AccountConfig[] = [];
  /** Reloads run one after another. */
  private chain: Promise<void> = Promise.resolve();
  private storeTimer: NodeJS.Timeout | null = null;
  private unwatchStore: () => void = () => undefined;
  private stopped = false;

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
    if (o.stored) d.unwatchStore = o.stored.onChange(() => d.storeChanged());
    return d;
  }

  /** The file changed (SIGHUP): its endpoints, and the stored ones of the accounts it has, are applied. */
  reload(accounts: readonly AccountConfig[]): Promise<void> {
    this.accounts = accounts;
    return this.serially(() => this.apply());
  }

  /** The endpoints that run now: the file's, then the store's whose id the file does not use. */
  private wanted(): Map<string, { account: string; cfg: WebhookConfig; source: EndpointSource }> {
    const out = new Map<string, { account: string; cfg: WebhookConfig; source: EndpointSource }>();
    for (const a of this.accounts) for (const w of a.webhooks) out.set(endpointKey(a.id, w.id), { account: a.id, cfg: w, source: 'config' });
    const known = new Set(this.accounts.map((a) => a.id));
    for (const w of this.o.stored?.all() ?? []) {
      const key = endpointKey(w.account, w.id);
      if (known.has(w.account) && !out.has(key)) out.set(key, { account: w.account, cfg: configOf(w), source: 'api' });
    }
    return out;
  }

  /** Adds new endpoints, reconfigures kept ones, stops removed ones (the file's keep their saved state for a later return). */
  private async apply(): Promise<void> {
    if (this.stopped) return;
    const wanted = this.wanted();
    for (const [key, { account, cfg, source }] of wanted) {
      const ep = this.endpoints.get(key);
      this.sources.set(key, source);
      if (ep) ep.configure(cfg);
      else {
        if (cfg.url.startsWith('http://')) {
          this.o.logger.warn({ account, webhook: cfg.id, url: cfg.url }, 'webhook URL is http://: events and signatures travel in clear (fine on loopback or behind a TLS proxy)');
        }
        this.endpoints.set(key, await WebhookEndpoint.open(account, cfg, this.ctx));
        if (source === 'api') this.o.logger.info({ account, webhook: cfg.id, url: cfg.url }, 'webhook endpoint from the store started (at the end of the event log)');
      }
    }
    for (const [key, ep] of this.endpoints) {
      if (wanted.has(key)) continue;
      const source = this.sources.get(key);
      this.endpoints.delete(key);
      this.sources.delete(key);
      await ep.stop();
      // Deleted through the API: its cursor goes too, so an endpoint made again with this id starts at the end of
      // the log rather than where the old one stopped. (One only hidden by the file, or of an account gone, keeps it.)
      if (source === 'api' && this.o.stored?.get(ep.account, ep.id) === null) {
        await rm(endpointStatePath(this.o.dir, ep.account, ep.id), { force: true }).catch(() => undefined);
        this.o.logger.info({ account: ep.account, webhook: ep.id }, 'webhook endpoint deleted from the store: stopped');
      }
    }
  }

  /** The stored endpoints changed: one reload for every change within storeReloadMs. */
  private storeChanged(): void {
    if (this.stopped || this.storeTimer !== null) return;
    this.storeTimer = setTimeout(() => {
      this.storeTimer = null;
      void this.serially(() => this.apply()).catch((err: Error) => this.o.logger.error({ err: err.message }, 'webhook endpoints not reloaded after a store change'));
    }, this.o.storeReloadMs ?? STORE_RELOAD_MS);
    this.storeTimer.unref();
  }

  private serially(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  list(): EndpointStatus[] {
    return [...this.endpoints.values()].map((e) => e.status());
  }

  endpoint(account: string, id: string): WebhookEndpoint | null {
    return this.endpoints.get(endpointKey(account, id)) ?? null;
  }

  /** Stops every endpoint and saves its cursor. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatchStore();
    if (this.storeTimer !== null) clearTimeout(this.storeTimer);
    await this.chain;
    this.unsubscribe();
    await Promise.all([...this.endpoints.values()].map((e) => e.stop()));
    this.ownTransport?.close();
  }
}

function endpointKey(account: string, id: string): string {
  return `${account}\u0000${id}`;
}

/** A stored endpoint as the endpoints run it (its secret inline). */
function configOf(w: StoredWebhook): WebhookConfig {
  return { id: w.id, url: w.url, events: [...w.events], secret: w.secret, secretFile: null, timeoutMs: w.timeoutMs, maxInFlight: w.maxInFlight, disableAfterMs: w.disableAfterMs };
}
