// Runs TrackingStore.sweep() every `intervalMs`: records older than `maxAgeMs` are removed, at most `limit` folder
// entries looked at per sweep, so a folder of millions of records costs a bounded slice of work per minute and
// never a long pause. A failed sweep is logged and tried again at the next interval.
import type { Logger } from 'pino';
import type { TrackingStore } from './tracking-store.js';

export interface RecordSweeperOptions {
  store: TrackingStore;
  maxAgeMs: number;
  /** Default 60 s. */
  intervalMs?: number;
  /** Folder entries per sweep; default 1000. */
  limit?: number;
  logger?: Logger;
  now?: () => number;
}

export class RecordSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(private readonly o: RecordSweeperOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.sweepOnce(), this.o.intervalMs ?? 60_000);
    this.timer.unref();
  }

  /** One sweep (skipped while one is running); resolves when it is done. Never rejects. */
  sweepOnce(): Promise<void> {
    this.running ??= this.o.store
      .sweep(this.now() - this.o.maxAgeMs, this.o.limit ?? 1000)
      .then(
        (r) => {
          if (r.removed > 0) this.o.logger?.info({ removed: r.removed, examined: r.examined }, 'expired tracking records removed');
        },
        (err: unknown) => this.o.logger?.warn({ err: (err as Error).message }, 'tracking record sweep failed; trying again later'),
      )
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.o.store.close();
  }
}
