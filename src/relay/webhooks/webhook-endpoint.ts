// One endpoint's delivery: follows the event log from its cursor, POSTs the account's events of the chosen types
// in log order with at most maxInFlight requests at once, and moves the cursor past the longest acknowledged prefix.
//
// States: active (sending), retrying (a request failed: after a backoff only the oldest event is sent, until
// one succeeds), disabled (a 410, or failing for longer than disableAfterMs; the cursor stays until an operator
// enables the endpoint again). 2xx acknowledges; 410 disables; anything else (other codes, timeouts, refused
// or cut connections) is retried with exponential backoff and jitter, for as long as disableAfterMs allows.
import type { Logger } from 'pino';
import type { WebhookConfig } from '../config/index.js';
import type { EventPosition, LoggedEvent } from '../storage/event-log.js';
import { endpointStatePath, loadEndpointState, saveEndpointState, type EndpointState } from './endpoint-state.js';
import type { SendResult, WebhookTransport } from './http-sender.js';
import { bodyOf, payloadOf, webhookIdOf } from './payload.js';
import { signedHeaders, webhookSecretKey } from './signature.js';
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../timers/clock.js';


/** The reading half of the EventLog. */
export interface EventSource {
  readForward(from: EventPosition, maxBytes?: number): Promise<{ events: LoggedEvent[]; next: EventPosition; skipped: boolean }>;
  start(): EventPosition;
  end(): EventPosition;
}

export interface WebhookRetryPolicy {
  /** The first retry comes after base × [0.5, 1.5); default 10 s (so within 15 s). */
  baseMs: number;
  /** Longest wait between retries; default 1 h. */
  maxMs: number;
}

export interface EndpointContext {
  source: EventSource;
  transport: WebhookTransport;
  /** <data>/webhooks */
  dir: string;
  logger: Logger;
  clock: Clock;
  random: () => number;
  retry: WebhookRetryPolicy;
  /** A moved cursor is saved this long after it moved (kill -9 re-sends at most this much); default 500 ms. */
  saveDelayMs: number;
}

export interface WebhookAttempt {
  time: string;
  webhookId: string;
  type: string;
  status: number | null;
  error: string | null;
  ms: number;
}

export type EndpointStatusName = 'active' | 'retrying' | 'disabled';

export interface EndpointStatus {
  account: string;
  id: string;
  url: string;
  events: string[];
  state: EndpointStatusName;
  disabledReason: string | null;
  disabledAt: string | null;
  failingSince: string | null;
  nextRetryAt: string | null;
  cursor: EventPosition;
  /** Matching events read from the log and not yet acknowledged. */
  pending: number;
  inFlight: number;
  /** Age of the oldest unacknowledged event, seconds; 0 when none. */
  lagSeconds: number;
  /** Times the cursor pointed into a rotated-away log file (events lost to rotation). */
  rotatedPast: number;
  lastAttempts: WebhookAttempt[];
}

interface Item {
  logged: LoggedEvent;
  id: string;
  type: string;
  body: string;
  sending: boolean;
  acked: boolean;
}

/** Events kept read ahead in memory per endpoint. */
const READ_AHEAD = 1000;
const ATTEMPTS_KEPT = 20;

export class WebhookEndpoint {
  private cfg: WebhookConfig;
  private key: Buffer;
  private types: Set<string>;
  private window: Item[] = [];
  private readPos: EventPosition;
  private reading = false;
  private more = true;
  /** Counts wake() calls: a write during a read that found nothing must not be missed. */
  private wakes = 0;
  private failures = 0;
  private retryTimer: unknown = null;
  private retryAt: number | null = null;
  private probing = false;
  private generation = 0;
  private stopped = false;
  private saveTimer: unknown = null;
  private saving: Promise<void> = Promise.resolve();
  private rotatedPast = 0;
  private readonly attempts: WebhookAttempt[] = [];
  private readonly path: string;

  private constructor(
    readonly account: string,
    cfg: WebhookConfig,
    private readonly state: EndpointState,
    private readonly c: EndpointContext,
  ) {
    this.cfg = cfg;
    this.key = keyOf(cfg);
    this.types = new Set(cfg.events);
    this.readPos = state.cursor;
    this.path = endpointStatePath(c.dir, account, cfg.id);
  }

  /** Loads the endpoint's saved state; a new endpoint starts at the end of the log (no flood of history). */
  static async open(account: string, cfg: WebhookConfig, c: EndpointContext): Promise<WebhookEndpoint> {
    const path = endpointStatePath(c.dir, account, cfg.id);
    const saved = await loadEndpointState(path);
    const state = saved ?? { cursor: c.source.end(), disabled: null, failingSince: null };
    const ep = new WebhookEndpoint(account, cfg, state, c);
    if (saved === null) await ep.saveNow();
    ep.pump();
    return ep;
  }

  get id(): string {
    return this.cfg.id;
  }

  /** A reload: new URL, secret, types or limits apply to the next request. */
  configure(cfg: WebhookConfig): void {
    this.cfg = cfg;
    this.key = keyOf(cfg);
    this.types = new Set(cfg.events);
    this.pump();
  }

  /** The event log wrote more. */
  wake(): void {
    this.wakes++;
    this.more = true;
    this.pump();
  }

  status(): EndpointStatus {
    const now = this.c.clock.now();
    const oldest = this.window.find((it) => !it.acked);
    const iso = (t: number | null | undefined): string | null => (t === null || t === undefined ? null : new Date(t).toISOString());
    return {
      account: this.account,
      id: this.cfg.id,
      url: this.cfg.url,
      events: this.cfg.events,
      state: this.state.disabled ? 'disabled' : this.probing || this.retryTimer !== null ? 'retrying' : 'active',
      disabledReason: this.state.disabled?.reason ?? null,
      disabledAt: iso(this.state.disabled?.at),
      failingSince: iso(this.state.failingSince),
      nextRetryAt: iso(this.retryAt),
      cursor: this.cursor(),
      pending: this.window.filter((it) => !it.acked).length,
      inFlight: this.window.filter((it) => it.sending).length,
      lagSeconds: oldest ? Math.max(0, (now - Date.parse(oldest.logged.event.time)) / 1000) : 0,
      rotatedPast: this.rotatedPast,
      lastAttempts: [...this.attempts],
    };
  }

  /** Sends one `webhook.test` event now, outside the queue (not retried); the answer is returned and listed. */
  async sendTest(): Promise<WebhookAttempt> {
    const id = 'msg_test_' + randomBytes(12).toString('base64url');
    const now = this.c.clock.now();
    const body = bodyOf({ type: 'webhook.test', timestamp: new Date(now).toISOString(), data: { account: this.account } });
    const r = await this.c.transport.post(this.cfg.url, signedHeaders(this.key, id, now / 1000, body), body, this.cfg.timeoutMs);
    return this.noteAttempt(id, 'webhook.test', r);
  }

  /** Moves the cursor to the first event at or after `from` (ms), so everything since is sent again. */
  async replayFrom(from: number): Promise<EventPosition> {
    let pos = this.c.source.start();
    let found: EventPosition | null = null;
    for (;;) {
      const r = await this.c.source.readForward(pos, 1024 * 1024);
      const hit = r.events.find((e) => Date.parse(e.event.time) >= from);
      if (hit) {
        found = hit.at;
        break;
      }
      if (r.events.length === 0 && r.next.seq === pos.seq && r.next.offset === pos.offset) break;
      pos = r.next;
    }
    const cursor = found ?? this.c.source.end();
    this.restartAt(cursor);
    this.c.logger.info({ webhook: this.cfg.id, account: this.account, from: new Date(from).toISOString(), cursor }, 'webhook replay');
    await this.saveNow();
    this.pump();
    return cursor;
  }

  /** Enables a disabled endpoint: it resumes at its cursor. */
  async enable(): Promise<boolean> {
    if (!this.state.disabled) return false;
    this.state.disabled = null;
    this.state.failingSince = null;
    this.restartAt(this.cursor());
    await this.saveNow();
    this.c.logger.info({ webhook: this.cfg.id, account: this.account }, 'webhook endpoint enabled');
    this.pump();
    return true;
  }

  /** Stops sending and saves the cursor; answers still in flight are ignored (their events are sent again later). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    if (this.retryTimer !== null) this.c.clock.clearTimer(this.retryTimer);
    if (this.saveTimer !== null) this.c.clock.clearTimer(this.saveTimer);
    this.retryTimer = this.saveTimer = null;
    await this.saveNow();
  }

  // ---------------------------------------------------------------- sending

  /** The first event not yet acknowledged: everything before it has been acknowledged (or did not match). */
  private cursor(): EventPosition {
    const first = this.window.find((it) => !it.acked);
    return first ? first.logged.at : this.readPos;
  }

  private pump(): void {
    if (this.stopped || this.state.disabled || this.retryTimer !== null) return;
    if (!this.reading && this.more && this.window.length < READ_AHEAD) void this.read();
    const limit = this.probing ? 1 : this.cfg.maxInFlight;
    let n = 0;
    for (const it of this.window) {
      if (it.acked) continue;
      if (n++ >= limit) break;
      if (!it.sending) void this.send(it);
    }
  }

  private async read(): Promise<void> {
    this.reading = true;
    const gen = this.generation;
    const wakes = this.wakes;
    try {
      const r = await this.c.source.readForward(this.readPos);
      if (gen !== this.generation) return;
      if (r.skipped) {
        this.rotatedPast++;
        this.c.logger.error({ webhook: this.cfg.id, account: this.account }, 'webhook cursor was in an event log file rotated away: its events are lost');
      }
      for (const e of r.events) {
        const ev = e.event;
        if (ev.account !== this.account || !this.types.has(ev.type)) continue;
        const payload = payloadOf(ev);
        this.window.push({ logged: e, id: webhookIdOf(e), type: payload.type, body: bodyOf(payload), sending: false, acked: false });
      }
      const moved = r.next.seq !== this.readPos.seq || r.next.offset !== this.readPos.offset;
      this.readPos = r.next;
      this.more = moved || wakes !== this.wakes;
      if (moved) this.saveSoon();
    } catch (err) {
      this.more = false;
      this.c.logger.error({ webhook: this.cfg.id, account: this.account, err: (err as Error).message }, 'cannot read the event log for a webhook');
    } finally {
      // A restart meanwhile began its own reading; this one's result was dropped above.
      if (gen === this.generation) {
        this.reading = false;
        this.pump();
      }
    }
  }

  private async send(it: Item): Promise<void> {
    it.sending = true;
    const gen = this.generation;
    const headers = signedHeaders(this.key, it.id, this.c.clock.now() / 1000, it.body);
    const r = await this.c.transport.post(this.cfg.url, headers, it.body, this.cfg.timeoutMs);
    if (gen !== this.generation) return;
    it.sending = false;
    this.noteAttempt(it.id, it.type, r);
    if ('status' in r && r.status >= 200 && r.status < 300) this.acked(it);
    else if ('status' in r && r.status === 410) this.disable(`410 Gone from ${this.cfg.url}`);
    else this.failed();
    this.pump();
  }

  private acked(it: Item): void {
    it.acked = true;
    this.failures = 0;
    this.probing = false;
    if (this.retryTimer !== null) {
      this.c.clock.clearTimer(this.retryTimer);
      this.retryTimer = null;
      this.retryAt = null;
    }
    if (this.state.failingSince !== null) this.state.failingSince = null;
    let k = 0;
    while (k < this.window.length && this.window[k]!.acked) k++;
    if (k > 0) {
      this.window.splice(0, k);
      this.saveSoon();
    }
  }

  private failed(): void {
    const now = this.c.clock.now();
    if (this.state.failingSince === null) {
      this.state.failingSince = now;
      this.saveSoon();
    }
    if (now - this.state.failingSince >= this.cfg.disableAfterMs) {
      this.disable(`failing since ${new Date(this.state.failingSince).toISOString()} (longer than ${this.cfg.disableAfterMs} ms)`);
      return;
    }
    this.probing = true;
    if (this.retryTimer !== null) return; // answers of requests sent before the first failure: one backoff for all
    this.failures++;
    const { baseMs, maxMs } = this.c.retry;
    const wait = Math.round(Math.min(maxMs, baseMs * 2 ** Math.min(this.failures - 1, 30)) * (0.5 + this.c.random()));
    this.retryAt = now + wait;
    this.retryTimer = this.c.clock.setTimer(() => {
      this.retryTimer = null;
      this.retryAt = null;
      this.pump();
    }, wait);
  }

  private disable(reason: string): void {
    this.state.disabled = { reason, at: this.c.clock.now() };
    this.c.logger.warn({ webhook: this.cfg.id, account: this.account, url: this.cfg.url, reason }, 'webhook endpoint disabled');
    this.restartAt(this.cursor());
    void this.saveNow();
  }

  /** Forgets what was read ahead and reads again from `cursor`; answers in flight are ignored. */
  private restartAt(cursor: EventPosition): void {
    this.generation++;
    this.window = [];
    this.readPos = cursor;
    this.state.cursor = cursor;
    this.more = true;
    this.reading = false;
    this.failures = 0;
    this.probing = false;
    if (this.retryTimer !== null) this.c.clock.clearTimer(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = null;
  }

  private noteAttempt(id: string, type: string, r: SendResult): WebhookAttempt {
    const a: WebhookAttempt = {
      time: new Date(this.c.clock.now()).toISOString(),
      webhookId: id,
      type,
      status: 'status' in r ? r.status : null,
      error: 'error' in r ? r.error : null,
      ms: r.ms,
    };
    this.attempts.push(a);
    if (this.attempts.length > ATTEMPTS_KEPT) this.attempts.shift();
    return a;
  }

  // ---------------------------------------------------------------- persistence

  private saveSoon(): void {
    if (this.saveTimer !== null || this.stopped) return;
    this.saveTimer = this.c.clock.setTimer(() => {
      this.saveTimer = null;
      void this.saveNow();
    }, this.c.saveDelayMs);
  }

  private saveNow(): Promise<void> {
    this.saving = this.saving.then(async () => {
      this.state.cursor = this.cursor();
      try {
        await saveEndpointState(this.path, { ...this.state });
      } catch (err) {
        this.c.logger.error({ webhook: this.cfg.id, account: this.account, err: (err as Error).message }, 'cannot save the webhook cursor');
      }
    });
    return this.saving;
  }
}

function keyOf(cfg: WebhookConfig): Buffer {
  const key = webhookSecretKey(cfg.secret);
  if (typeof key === 'string') throw new Error(`webhook ${cfg.id}: secret ${key}`); // validated with the configuration
  return key;
}
