// The delivery scheduler: takes messages from the spool, hands them to their route, records each outcome.
// 4xx and connection failures defer with exponential backoff and jitter; 5xx and queue age fail the recipient.
// A message leaves the spool only when every recipient is delivered or failed (at least once, never zero times).
//
// Each route has its own lane of ready messages and at most `route.concurrency` of them in flight (an SMTP
// route's pool size), so a slow smarthost holds its own messages back, not every route's. Lanes take turns.
// A 5xx reply is a hard bounce: the address joins the account's suppression list, and later messages to a
// suppressed address fail at once, without the route, as `suppressed`. Every state change is an event.
import type { Logger } from 'pino';
import type { QueueConfig } from '../config/index.js';
import type { EventSink, RelayEvent } from '../storage/event-log.js';
import type { OutboundRecipient, RecipientOutcome, Route } from './route.js';
import type { Spool, SpoolEntry } from '../storage/spool/index.js';
import type { SuppressionStore } from '../store/store.js';
import { systemClock, type Clock } from '../timers/clock.js';


/** A route that says how many messages it wants at once (RouteSmtp: its pool size). */
interface ConcurrencyLimited {
  readonly concurrency: number;
}

function concurrencyOf(route: Route | null): number {
  const c = (route as Partial<ConcurrencyLimited> | null)?.concurrency;
  return typeof c === 'number' && c >= 1 ? c : Infinity;
}

/**
 * A route may say whether a failure proves the address bad (RouteSmtp does; see route-smtp.ts). For a route that
 * does not, an upstream 5xx reply (the failure's reply starts with its code) counts as a hard bounce.
 */
const FIVE_XX = /^5\d\d\b/;

function isHardBounce(out: RecipientOutcome): boolean {
  if (out.status !== 'failed') return false;
  if (typeof out.hardBounce === 'boolean') return out.hardBounce;
  return out.reply !== undefined && FIVE_XX.test(out.reply);
}

export interface DeliverySchedulerOptions {
  spool: Spool;
  /** The route of an account, or null when the configuration no longer has it. */
  routeOf(account: string, route: string): Route | null;
  queue: QueueConfig;
  logger: Logger;
  /** Messages being delivered at once, over all routes. */
  concurrency?: number;
  /** Default: the process clock. */
  clock?: Clock;
  /** Shorthand for a clock with this now() and real timers (kept for existing callers). */
  now?: () => number;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
  /** Where delivered/deferred/failed/suppressed events go. */
  events?: EventSink;
  /** Hard bounces are added here; suppressed addresses are not delivered to. */
  suppression?: SuppressionStore;
  /**
   * Keeps a copy of each recipient's message that reached a final outcome (message retention), awaited before that
   * outcome is written to the spool; a rejection is logged and delivery goes on.
   */
  retain?(entry: SpoolEntry, copies: { recipient: string; body: Buffer }[]): Promise<void>;
}

/**
 * Message ids in arrival order. Array.shift() copies the whole array once it is large (V8 cannot trim arrays in
 * large-object space), and a burst of 20,000 accepted messages is one lane: take from a head index instead.
 */
class IdQueue {
  private items: string[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(id: string): void {
    this.items.push(id);
  }

  shift(): string | undefined {
    if (this.head === this.items.length) return undefined;
    const id = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return id;
  }
}

interface Lane {
  account: string;
  route: string;
  active: number;
  ready: IdQueue;
}

export class DeliveryScheduler {
  private readonly lanes = new Map<string, Lane>();
  /** Lanes with ready messages, in turn order. */
  private readonly turns: string[] = [];
  private readonly queued = new Set<string>();
  private readonly timers = new Map<string, unknown>();
  private active = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(private readonly o: DeliverySchedulerOptions) {
    this.concurrency = o.concurrency ?? 16;
    this.clock = o.clock ?? (o.now ? { ...systemClock, now: o.now } : systemClock);
    this.random = o.random ?? Math.random;
  }

  /** Schedules everything the spool holds (after a restart). */
  resume(): void {
    for (const entry of this.o.spool.pending()) this.schedule(entry);
  }

  /** A message was just spooled. */
  notify(entry: SpoolEntry): void {
    this.schedule(entry);
  }

  /** Attempts in flight plus messages ready to go (not those waiting for a retry time). */
  load(): { active: number; ready: number; waiting: number } {
    return { active: this.active, ready: this.queued.size, waiting: this.timers.size };
  }

  /** Resolves when nothing is in flight or ready (retries waiting for their time do not count). */
  whenIdle(): Promise<void> {
    if (this.active === 0 && this.queued.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking new work; resolves when deliveries in flight have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) this.clock.clearTimer(t);
    this.timers.clear();
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private now(): number {
    return this.clock.now();
  }

  private schedule(entry: SpoolEntry): void {
    if (this.stopped || this.queued.has(entry.id) || this.timers.has(entry.id)) return;
    let due = Infinity;
    for (const r of entry.recipients) if (r.status === 'pending' && r.nextAttemptAt < due) due = r.nextAttemptAt;
    if (due === Infinity) return;
    const wait = due - this.now();
    if (wait > 0) return this.wakeAt(entry.id, wait);
    this.enqueueReady(entry);
  }

  private wakeAt(id: string, wait: number): void {
    const timer = this.clock.setTimer(() => {
      this.timers.delete(id);
      const entry = this.o.spool.get(id);
      if (entry) this.enqueueReady(entry);
    }, wait);
    this.timers.set(id, timer);
  }

  private enqueueReady(entry: SpoolEntry): void {
    if (this.stopped || this.queued.has(entry.id)) return;
    const key = `${entry.account}\u0000${entry.route}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { account: entry.account, route: entry.route, active: 0, ready: new IdQueue() };
      this.lanes.set(key, lane);
    }
    this.queued.add(entry.id);
    if (lane.ready.length === 0) this.turns.push(key);
    lane.ready.push(entry.id);
    this.pump();
  }

  /** The next message of the first lane (in turn) below its route's concurrency. */
  private takeNext(): { id: string; lane: Lane } | null {
    for (let tries = this.turns.length; tries > 0; tries--) {
      const key = this.turns.shift()!;
      const lane = this.lanes.get(key)!;
      if (lane.active >= concurrencyOf(this.o.routeOf(lane.account, lane.route))) {
        this.turns.push(key);
        continue;
      }
      const id = lane.ready.shift()!;
      if (lane.ready.length > 0) this.turns.push(key);
      return { id, lane };
    }
    return null;
  }

  private pump(): void {
    while (!this.stopped && this.active < this.concurrency) {
      const next = this.takeNext();
      if (!next) break;
      const { id, lane } = next;
      this.queued.delete(id);
      this.active++;
      lane.active++;
      this.attempt(id)
        .catch((err: unknown) => {
          // A local failure (spool read, suppression write): the message stays in the spool; try it again later.
          this.o.logger.error({ id, err: (err as Error).message }, 'delivery attempt failed');
          if (!this.stopped && this.o.spool.get(id) && !this.timers.has(id)) this.wakeAt(id, this.o.queue.retryMinMs);
        })
        .finally(() => {
          this.active--;
          lane.active--;
          this.pump();
          if (this.active === 0 && (this.queued.size === 0 || this.stopped)) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }

  private async attempt(id: string): Promise<void> {
    const { spool } = this.o;
    const entry = spool.get(id);
    if (!entry) return;
    const t = this.now();
    const due: number[] = [];
    entry.recipients.forEach((r, i) => {
      if (r.status === 'pending' && r.nextAttemptAt <= t) due.push(i);
    });
    const indexes = await this.skipSuppressed(entry, due);

    if (indexes.length > 0) {
      const route = this.o.routeOf(entry.account, entry.route);
      const started = this.now();
      const outcomes = await this.deliver(entry, route, indexes);
      const ms = this.now() - started;
      for (let k = 0; k < indexes.length; k++) {
        const i = indexes[k]!;
        const out = outcomes[k] ?? { recipient: entry.recipients[i]!.recipient, status: 'deferred' as const, reply: 'route gave no outcome' };
        await this.record(entry, i, out, ms);
      }
    }
    const still = spool.get(id);
    if (still) this.schedule(still);
  }

  private async deliver(entry: SpoolEntry, route: Route | null, indexes: number[]): Promise<RecipientOutcome[]> {
    const deferAll = (reply: string): RecipientOutcome[] => indexes.map((i) => ({ recipient: entry.recipients[i]!.recipient, status: 'deferred', reply }));
    if (route === null) return deferAll(`route "${entry.route}" of account "${entry.account}" is not configured`);
    const msg = await this.o.spool.read(entry.id);
    const recipients: OutboundRecipient[] = indexes.map((i) => ({ address: msg.recipients[i]!.recipient, body: msg.recipients[i]!.body, index: i }));
    let outcomes: RecipientOutcome[];
    try {
      outcomes = await route.deliver({ id: entry.id, from: msg.from, recipients });
    } catch (err) {
      // A route reports failures as outcomes; a throw is a bug or an unexpected local error: try again later.
      return deferAll(`local error: ${(err as Error).message}`);
    }
    if (this.o.retain) await this.retain(entry, recipients, outcomes);
    return outcomes;
  }

  /** Hands the copies of recipients whose outcome is final to `retain`, before record() completes them in the spool. */
  private async retain(entry: SpoolEntry, recipients: OutboundRecipient[], outcomes: RecipientOutcome[]): Promise<void> {
    const copies = recipients.filter((_r, k) => outcomes[k] !== undefined && this.isFinal(entry, outcomes[k]!)).map((r) => ({ recipient: r.address, body: r.body }));
    if (copies.length === 0) return;
    try {
      await this.o.retain!(entry, copies);
    } catch (err) {
      this.o.logger.error({ id: entry.id, account: entry.account, err: (err as Error).message }, 'cannot keep a copy of the message (retention)');
    }
  }

  /** Delivered or failed, or deferred past the maximum queue age (record() fails it). */
  private isFinal(entry: SpoolEntry, out: RecipientOutcome): boolean {
    return out.status !== 'deferred' || this.now() - entry.createdAt >= this.o.queue.maxAgeMs;
  }

  /** Completes suppressed recipients as failed (no route call) and returns the others. */
  private async skipSuppressed(entry: SpoolEntry, indexes: number[]): Promise<number[]> {
    const list = this.o.suppression;
    if (!list) return indexes;
    const rest: number[] = [];
    for (const i of indexes) {
      const r = entry.recipients[i]!;
      const hit = list.get(entry.account, r.recipient, entry.tag);
      if (hit === null) {
        rest.push(i);
        continue;
      }
      const scope = hit.tag === undefined ? `account ${entry.account}` : `account ${entry.account}, tag ${hit.tag}`;
      const reply = `suppressed: ${r.recipient} is on the suppression list of ${scope} (${hit.reason})`;
      await this.event(entry, i, 'suppressed', reply);
      await this.o.spool.complete(entry.id, i, { status: 'failed', reply });
      this.o.logger.info({ id: entry.id, account: entry.account, tag: entry.tag, route: entry.route, recipient: r.recipient, outcome: 'suppressed' }, 'delivery');
    }
    return rest;
  }

  private async record(entry: SpoolEntry, i: number, out: RecipientOutcome, ms: number): Promise<void> {
    const { spool, logger, queue } = this.o;
    const r = entry.recipients[i]!;
    const attempt = r.attempts + 1;
    if (out.status === 'deferred' && this.isFinal(entry, out)) {
      const reply = `queue age exceeded; last reply: ${out.reply ?? 'none'}`;
      await this.event(entry, i, 'failed', reply, attempt, ms, out.destination);
      await spool.complete(entry.id, i, { status: 'failed', reply });
      this.logOutcome(entry, i, ms, attempt, { outcome: 'failed', reply: 'queue age exceeded' });
    } else if (out.status === 'deferred') {
      // The last retry happens at the queue age limit rather than up to retryMaxMs after it.
      const next = Math.max(this.now() + 1, Math.min(this.now() + this.backoff(r.attempts), entry.createdAt + queue.maxAgeMs));
      await this.event(entry, i, 'deferred', out.reply, attempt, ms, out.destination);
      await spool.defer(entry.id, i, next, out.reply);
      this.logOutcome(entry, i, ms, attempt, { outcome: 'deferred', reply: out.reply, nextAttemptAt: new Date(next).toISOString() });
    } else {
      await this.event(entry, i, out.status, out.reply, attempt, ms, out.destination);
      await spool.complete(entry.id, i, out.reply === undefined ? { status: out.status } : { status: out.status, reply: out.reply });
      this.logOutcome(entry, i, ms, attempt, { outcome: out.status, reply: out.reply });
      if (isHardBounce(out) && this.o.suppression) {
        try {
          await this.o.suppression.add(entry.account, r.recipient, out.reply ?? 'hard bounce', this.now());
        } catch (err) {
          logger.error(
            { id: entry.id, account: entry.account, tag: entry.tag, route: entry.route, recipient: r.recipient, ms, attempt, err: (err as Error).message },
            'cannot add a hard bounce to the suppression list',
          );
        }
      }
    }
  }

  /** The log line of an outcome, built only when info is logged: thousands a second of unused objects show in profiles. */
  private logOutcome(entry: SpoolEntry, i: number, ms: number, attempt: number, outcome: { outcome: string; reply: string | undefined; nextAttemptAt?: string }): void {
    const { logger } = this.o;
    if (!logger.isLevelEnabled('info')) return;
    const recipient = entry.recipients[i]!.recipient;
    logger.info({ id: entry.id, account: entry.account, tag: entry.tag, route: entry.route, recipient, ms, attempt, ...outcome }, 'delivery');
  }

  /**
   * Records the event of a recipient's state change, written (not fsynced) before the caller writes that state to
   * the spool: after a kill -9 the event log is never behind the spool (docs/feedback.md, "Webhooks"). The other
   * order lost the event of a recipient the spool already had as delivered. Concurrent calls share one write.
   */
  private async event(entry: SpoolEntry, i: number, type: RelayEvent['type'], reply?: string, attempt?: number, latencyMs?: number, destination?: string): Promise<void> {
    const sink = this.o.events;
    if (!sink) return;
    const e: RelayEvent = { type, time: this.now(), id: entry.id, account: entry.account, tag: entry.tag, route: entry.route, recipient: entry.recipients[i]!.recipient };
    if (reply !== undefined) e.reply = reply;
    if (attempt !== undefined) e.attempt = attempt;
    if (latencyMs !== undefined) e.latencyMs = latencyMs;
    if (destination !== undefined) e.destination = destination;
    if (sink.append(e) && sink.written) await sink.written();
  }

  /** retryMinMs doubled per attempt, capped at retryMaxMs, with ±50% jitter so retries do not arrive in waves. */
  private backoff(attempts: number): number {
    const { retryMinMs, retryMaxMs } = this.o.queue;
    const base = Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(attempts, 30));
    return Math.min(retryMaxMs, Math.round(base * (0.5 + this.random())));
  }
}
