// The per-message tracking record: what the click endpoint needs and a token does not carry (the links' URLs).
//
// On disk: `<dataDir>/tracking/<spool id>.json`, one small JSON object per tracked message, written with the
// durable-file helper before the message is spooled (so no delivered link lacks its record):
//   {"v":1,"account":"shop","tag":"welcome","acceptedAt":<ms>,"recipients":["a@b.example"],"links":["https://..."]}
// A record is never rewritten, so its file's modification time is its acceptance time. Records older than the
// configured age are removed by sweep(), a bounded pass over the folder (record-sweeper.ts runs it periodically);
// the routes answer 404 for an expired record even before the sweep reaches it.
import type { Dir } from 'node:fs';
import { mkdir, opendir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../storage/durable-file.js';

export const TRACKING_DIR = 'tracking';

export interface TrackingRecord {
  account: string;
  tag: string;
  /** When the relay accepted the message, ms since the epoch (the machine-fetch heuristic measures from it). */
  acceptedAt: number;
  /** The recipients in order: a token's recipient index points here. */
  recipients: string[];
  /** The original URLs of the tracked links in document order: a click token's link index points here. */
  links: string[];
}

/** What one sweep did. */
export interface SweepResult {
  /** Folder entries looked at (at most the limit). */
  examined: number;
  removed: number;
  /** True when this sweep reached the end of the folder (the next one starts over). */
  passDone: boolean;
}

const ID = /^[A-Za-z0-9._-]{1,64}$/;

export class TrackingStore {
  private readonly dir: string;
  private made: Promise<unknown> | null = null;
  /** Recently read records: a message's clicks and opens come in bursts. */
  private readonly cache = new Map<string, TrackingRecord>();
  /** The folder listing a sweep pass is walking through, kept open between sweeps. */
  private pass: Dir | null = null;

  constructor(dataDir: string, private readonly cacheSize = 1000) {
    this.dir = join(dataDir, TRACKING_DIR);
  }

  async write(id: string, record: TrackingRecord): Promise<void> {
    if (!ID.test(id) || id.startsWith('.')) throw new Error(`tracking record: invalid id ${JSON.stringify(id)}`);
    this.made ??= mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.made;
    await writeFileDurably(join(this.dir, `${id}.json`), JSON.stringify({ v: 1, ...record }) + '\n');
  }

  /** The record of a message, or null when there is none (never tracked, or removed). */
  async read(id: string): Promise<TrackingRecord | null> {
    if (!ID.test(id) || id.startsWith('.')) return null;
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    let text: string;
    try {
      text = await readFile(join(this.dir, `${id}.json`), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const o = JSON.parse(text) as TrackingRecord & { v: number };
    const record: TrackingRecord = { account: o.account, tag: o.tag, acceptedAt: o.acceptedAt, recipients: o.recipients, links: o.links };
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, record);
    return record;
  }

  /**
   * Removes the files (records, and temps a crash left) last written before `before` (ms since the epoch), looking
   * at `limit` folder entries at most: a pass over a large folder is spread over several sweeps.
   */
  async sweep(before: number, limit: number): Promise<SweepResult> {
    const result: SweepResult = { examined: 0, removed: 0, passDone: false };
    if (this.pass === null) {
      try {
        this.pass = await opendir(this.dir, { bufferSize: 128 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...result, passDone: true }; // nothing tracked yet
        throw err;
      }
    }
    const pass = this.pass;
    while (result.examined < limit) {
      const entry = await pass.read();
      if (entry === null) {
        this.pass = null;
        await pass.close();
        result.passDone = true;
        break;
      }
      result.examined++;
      if (!entry.isFile()) continue;
      const path = join(this.dir, entry.name);
      try {
        if ((await stat(path)).mtimeMs >= before) continue;
        await unlink(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
        throw err;
      }
      result.removed++;
      if (entry.name.endsWith('.json')) this.cache.delete(entry.name.slice(0, -'.json'.length));
    }
    return result;
  }

  /** Ends a sweep pass left open. */
  async close(): Promise<void> {
    const pass = this.pass;
    this.pass = null;
    await pass?.close().catch(() => undefined);
  }
}
