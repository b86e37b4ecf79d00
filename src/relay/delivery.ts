// The delivery scheduler: takes messages from the spool, hands them to their route, records each outcome.
// 4xx and connection failures defer with exponential backoff and jitter; 5xx and queue age fail the recipient.
// A message leaves the spool only when every recipient is delivered or failed (at least once, never zero times).
import type { Logger } from 'pino';
import type { QueueConfig } from './config.js';
import type { OutboundRecipient, RecipientOutcome, Route } from './route.js';
import type { Spool, SpoolEntry } from './spool.js';

export interface DeliverySchedulerOptions {
  spool: Spool;
  /** The route of an account, or null when the configuration no longer has it. */
  routeOf(account: string, route: string): Route | null;
  queue: QueueConfig;
  logger: Logger;
  /** Messages being delivered at once, over all routes. */
  concurrency?: number;
  now?: () => number;
  random?: () => number;
}

export class DeliveryScheduler {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private active = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly o: DeliverySchedulerOptions) {
    this.concurrency = o.concurrency ?? 16;
    this.now = o.now ?? Date.now;
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

  /** Stops taking new work; resolves when deliveries in flight have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(entry: SpoolEntry): void {
    if (this.stopped || this.queued.has(entry.id) || this.timers.has(entry.id)) return;
    const pending = entry.recipients.filter((r) => r.status === 'pending');
    if (pending.length === 0) return;
    const due = Math.min(...pending.map((r) => r.nextAttemptAt));
    const wait = due - this.now();
    if (wait > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(entry.id);
        this.enqueueReady(entry.id);
      }, Math.min(wait, 2 ** 31 - 1));
      timer.unref();
      this.timers.set(entry.id, timer);
      return;
    }
    this.enqueueReady(entry.id);
  }

  private enqueueReady(id: string): void {
    if (this.stopped || this.queued.has(id)) return;
    this.queued.add(id);
    this.ready.push(id);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.active < this.concurrency && this.ready.length > 0) {
      const id = this.ready.shift()!;
      this.queued.delete(id);
      this.active++;
      this.attempt(id)
        .catch((err: unknown) => this.o.logger.error({ id, err: (err as Error).message }, 'delivery attempt failed'))
        .finally(() => {
          this.active--;
          if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
          this.pump();
        });
    }
  }

  private async attempt(id: string): Promise<void> {
    const { spool, logger, queue } = this.o;
    const entry = spool.get(id);
    if (!entry) return;
    const t = this.now();
    const indexes: number[] = [];
    entry.recipients.forEach((r, i) => {
      if (r.status === 'pending' && r.nextAttemptAt <= t) indexes.push(i);
    });
    if (indexes.length === 0) return this.schedule(entry);

    const route = this.o.routeOf(entry.account, entry.route);
    let outcomes: RecipientOutcome[];
    const started = this.now();
    if (route === null) {
      outcomes = indexes.map((i) => ({ recipient: entry.recipients[i]!.recipient, status: 'deferred', reply: `route "${entry.route}" of account "${entry.account}" is not configured` }));
    } else {
      const msg = await spool.read(id);
      const recipients: OutboundRecipient[] = indexes.map((i) => ({ address: msg.recipients[i]!.recipient, body: msg.recipients[i]!.body, index: i }));
      try {
        outcomes = await route.deliver({ id, from: msg.from, recipients });
      } catch (err) {
        // A route reports failures as outcomes; a throw is a bug or an unexpected local error: try again later.
        outcomes = indexes.map((i) => ({ recipient: entry.recipients[i]!.recipient, status: 'deferred', reply: `local error: ${(err as Error).message}` }));
      }
    }
    const ms = this.now() - started;
    for (let k = 0; k < indexes.length; k++) {
      const i = indexes[k]!;
      const r = entry.recipients[i]!;
      const out = outcomes[k] ?? { recipient: r.recipient, status: 'deferred' as const, reply: 'route gave no outcome' };
      const base = { id, account: entry.account, tag: entry.tag, route: entry.route, recipient: r.recipient, ms };
      if (out.status === 'deferred' && this.now() - entry.createdAt >= queue.maxAgeMs) {
        await spool.complete(id, i, { status: 'failed', reply: `queue age exceeded; last reply: ${out.reply ?? 'none'}` });
        logger.info({ ...base, outcome: 'failed', reply: 'queue age exceeded' }, 'delivery');
      } else if (out.status === 'deferred') {
        const next = this.now() + this.backoff(r.attempts);
        await spool.defer(id, i, next, out.reply);
        logger.info({ ...base, outcome: 'deferred', reply: out.reply, attempts: r.attempts, nextAttemptAt: new Date(next).toISOString() }, 'delivery');
      } else {
        await spool.complete(id, i, out.reply === undefined ? { status: out.status } : { status: out.status, reply: out.reply });
        logger.info({ ...base, outcome: out.status, reply: out.reply }, 'delivery');
      }
    }
    const still = spool.get(id);
    if (still) this.schedule(still);
  }

  /** retryMinMs doubled per attempt, capped at retryMaxMs, with ±50% jitter so retries do not arrive in waves. */
  private backoff(attempts: number): number {
    const { retryMinMs, retryMaxMs } = this.o.queue;
    const base = Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(attempts, 30));
    return Math.min(retryMaxMs, Math.round(base * (0.5 + this.random())));
  }
}
