// The per-message tracking record: what the click endpoint needs and a token does not carry (the links' URLs).
//
// On disk: `<dataDir>/tracking/<spool id>.json`, one small JSON object per tracked message, written with the
// durable-file helper before the message is spooled (so no delivered link lacks its record):
//   {"v":1,"account":"shop","tag":"welcome","acceptedAt":<ms>,"recipients":["a@b.example"],"links":["https://..."]}
// A record is never rewritten. Records are not yet expired (docs/tracking.md: remove old files to forget links).
import { mkdir, readFile } from 'node:fs/promises';
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

const ID = /^[A-Za-z0-9._-]{1,64}$/;

export class TrackingStore {
  private readonly dir: string;
  private made: Promise<unknown> | null = null;
  /** Recently read records: a message's clicks and opens come in bursts. */
  private readonly cache = new Map<string, TrackingRecord>();

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
}
