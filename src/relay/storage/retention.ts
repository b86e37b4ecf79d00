// Retained copies of sent messages (`"retention": { "days": N }`, off by default): each recipient's composed .eml,
// as the spool held it, kept after the spool lets the message go, so an operator can see exactly what was sent.
//
// Layout: `<dir>/<expiry day>/<queue id>/<recipient key>.eml`, where the expiry day (YYYY-MM-DD, UTC) is the day
// the copy's `days` run out and the recipient key is a hash of the lower-cased address (addresses are not file
// names). A day folder is removed whole once that day is over, so a copy lives at least `days` and less than
// `days + 1` days, and the sweep never reads a file. The sweep is bounded: it removes at most
// `maxRemovalsPerSweep` message folders per run and comes back sooner while expired folders remain.
//
// Durability: each copy is written with writeFileDurably (temp, fsync, rename), the message folder fsynced once
// for all its copies. The scheduler keeps copies before it records the final state in the spool, so a crash in
// between delivers again and keeps again (same names: the copy is replaced, not doubled).
import { createHash } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory, isDurableTempName, writeFileDurably } from './durable-file.js';

const DAY_MS = 86_400_000;
const DAY_FOLDER = /^\d{4}-\d{2}-\d{2}$/;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** One recipient's copy of a message, as handed to keep(). */
export interface RetainedCopy {
  recipient: string;
  body: Buffer;
}

export interface RetentionStoreOptions {
  /** Default the process clock. */
  now?: () => number;
  /** Sweeps run this often; default one hour. */
  sweepIntervalMs?: number;
  /** Message folders removed per sweep at most; the next sweep follows after `busySweepDelayMs`. Default 1000. */
  maxRemovalsPerSweep?: number;
  /** Delay before the next sweep while expired folders remain; default 1 s. */
  busySweepDelayMs?: number;
  /** A sweep that failed (I/O error) is reported here; the next one tries again. */
  onSweepError?: (err: unknown) => void;
}

/** Where a message's copies are, and whether that folder's days have run out. */
export interface RetainedMessage {
  expiresAt: number;
  expired: boolean;
  /** Recipient keys (recipientKey) of the copies kept. */
  keys: ReadonlySet<string>;
  folder: string;
}

export class RetentionStoreError extends Error {
  constructor(field: string, reason: string) {
    super(`retention ${field}: ${reason}`);
    this.name = 'RetentionStoreError';
  }
}

/** The file name (without .eml) of a recipient's copy: addresses hold characters no file name should. */
export function recipientKey(recipient: string): string {
  return createHash('sha256').update(recipient.toLowerCase(), 'utf8').digest('hex').slice(0, 32);
}

function dayOf(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** When a day folder's copies expire: the end of that UTC day. */
function endOfDay(day: string): number {
  return Date.parse(day + 'T00:00:00Z') + DAY_MS;
}

export class RetentionStore {
  private readonly now: () => number;
  private readonly sweepIntervalMs: number;
  private readonly maxRemovalsPerSweep: number;
  private readonly busySweepDelayMs: number;
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<number> | null = null;
  private stopped = false;

  constructor(
    readonly dir: string,
    private readonly o: RetentionStoreOptions = {},
  ) {
    this.now = o.now ?? Date.now;
    this.sweepIntervalMs = o.sweepIntervalMs ?? 3_600_000;
    this.maxRemovalsPerSweep = Math.max(1, o.maxRemovalsPerSweep ?? 1000);
    this.busySweepDelayMs = o.busySweepDelayMs ?? 1000;
  }

  /** Keeps each copy for `days` days from now (days >= 1); replaces copies of the same message and recipient. */
  async keep(id: string, copies: readonly RetainedCopy[], days: number): Promise<void> {
    if (!ID_PATTERN.test(id)) throw new RetentionStoreError('id', `must match ${ID_PATTERN.source}, got ${JSON.stringify(id)}`);
    if (!Number.isInteger(days) || days < 1) throw new RetentionStoreError('days', `must be a positive integer, got ${days}`);
    if (copies.length === 0) return;
    const dayDir = join(this.dir, dayOf(this.now() + days * DAY_MS));
    const folder = join(dayDir, id);
    await nodeFs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const createdDay = await nodeFs.mkdir(dayDir, { recursive: true, mode: 0o700 });
    const createdFolder = await nodeFs.mkdir(folder, { recursive: true, mode: 0o700 });
    // New folders must survive a crash too: their parents' entries are fsynced once.
    if (createdDay !== undefined) await fsyncDirectory(this.dir);
    if (createdFolder !== undefined) await fsyncDirectory(dayDir);
    for (const c of copies) await writeFileDurably(join(folder, recipientKey(c.recipient) + '.eml'), c.body, { syncDirectory: false });
    await fsyncDirectory(folder);
  }

  /** The message's retained copies (newest expiry first when a message was kept twice), or null when none. */
  async find(id: string): Promise<RetainedMessage | null> {
    if (!ID_PATTERN.test(id)) return null;
    const now = this.now();
    for (const day of (await this.days()).reverse()) {
      const folder = join(this.dir, day, id);
      let names: string[];
      try {
        names = await nodeFs.readdir(folder);
      } catch {
        continue;
      }
      const keys = new Set(names.filter((n) => n.endsWith('.eml') && !isDurableTempName(n)).map((n) => n.slice(0, -4)));
      if (keys.size === 0) continue;
      const expiresAt = endOfDay(day);
      return { expiresAt, expired: expiresAt <= now, keys, folder };
    }
    return null;
  }

  /** The copy of one recipient, or null; an expired copy is never returned, even before the sweep removes it. */
  async read(id: string, recipient: string): Promise<Buffer | null> {
    const found = await this.find(id);
    const key = recipientKey(recipient);
    if (found === null || found.expired || !found.keys.has(key)) return null;
    try {
      return await nodeFs.readFile(join(found.folder, key + '.eml'));
    } catch {
      return null; // swept meanwhile
    }
  }

  /** Sweeps now, then every sweepIntervalMs (sooner while expired folders remain) until stop(). */
  start(): void {
    if (this.timer !== null || this.stopped) return;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.sweeping?.catch(() => undefined);
  }

  /**
   * Removes expired message folders, at most maxRemovalsPerSweep of them, and day folders left empty.
   * Returns how many message folders it removed; a return equal to the bound means more may remain.
   */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.sweep().then(
        (removed) => {
          if (!this.stopped) this.schedule(removed >= this.maxRemovalsPerSweep ? this.busySweepDelayMs : this.sweepIntervalMs);
        },
        (err: unknown) => {
          this.o.onSweepError?.(err);
          if (!this.stopped) this.schedule(this.sweepIntervalMs);
        },
      );
    }, delayMs);
    this.timer.unref();
  }

  private async sweepOnce(): Promise<number> {
    const now = this.now();
    let removed = 0;
    for (const day of await this.days()) {
      if (endOfDay(day) > now) break; // days are sorted: the rest expire later
      const dayDir = join(this.dir, day);
      const dir = await nodeFs.opendir(dayDir);
      let more = false;
      try {
        for await (const entry of dir) {
          if (removed >= this.maxRemovalsPerSweep) {
            more = true;
            break;
          }
          await nodeFs.rm(join(dayDir, entry.name), { recursive: true, force: true });
          removed++;
        }
      } finally {
        await dir.close().catch(() => undefined);
      }
      if (more) return removed;
      await nodeFs.rmdir(dayDir).catch(() => undefined);
    }
    return removed;
  }

  /** Day folders, oldest first. */
  private async days(): Promise<string[]> {
    try {
      return (await nodeFs.readdir(this.dir)).filter((n) => DAY_FOLDER.test(n)).sort();
    } catch {
      return [];
    }
  }
}
