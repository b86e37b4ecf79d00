// A small durable map: an append-only file of JSON records (`put` with a value, `delete`), each fsynced before
// the write resolves, replayed at open. A torn last line (a crash mid-append) is cut off. When the file holds
// many more records than live entries it is rewritten whole with the durable-file helper (compaction), so it
// stays proportional to what it holds. The model is the suppression list's file; this is the generic form the
// runtime store keeps its API keys, account tokens and templates in.
import * as nodeFs from 'node:fs/promises';
import { dirname } from 'node:path';
import stringify from 'fast-json-stable-stringify';
import { writeFileDurably } from './durable-file.js';
import { JsonLinesAppender, readJsonLines } from './json-lines.js';

interface JournalRecord<V> {
  op: 'put' | 'delete';
  key: string;
  value?: V;
}

/** Compact when the file has this many more records than live entries. */
const COMPACT_SLACK = 1000;

export class JournalMap<V> {
  private readonly entries = new Map<string, V>();
  private records = 0;
  private readonly file: JsonLinesAppender;
  /** Writes run one after another, in the order they were made. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(private readonly path: string) {
    this.file = new JsonLinesAppender(path);
  }

  /** Opens (creating the folder) and replays the file; `isValue` drops records a newer or broken writer left. */
  static async open<V>(path: string, isValue: (v: unknown) => v is V): Promise<JournalMap<V>> {
    await nodeFs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const map = new JournalMap<V>(path);
    const read = await readJsonLines(path);
    map.records = read.lines;
    for (const v of read.records) {
      const r = v as JournalRecord<unknown>;
      if (typeof r !== 'object' || r === null || typeof r.key !== 'string') continue;
      if (r.op === 'put' && isValue(r.value)) map.entries.set(r.key, r.value);
      else if (r.op === 'delete') map.entries.delete(r.key);
    }
    return map;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  values(): IterableIterator<V> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Sets the value now (readers see it at once) and resolves when it is durable. When the write fails the previous
   * value is back (unless a later put replaced it meanwhile): the caller was told it failed, and a restart would lose it.
   */
  put(key: string, value: V): Promise<void> {
    const had = this.entries.has(key);
    const old = this.entries.get(key);
    this.entries.set(key, value);
    return this.append({ op: 'put', key, value }).catch((e: unknown) => {
      if (this.entries.get(key) === value) {
        if (had) this.entries.set(key, old as V);
        else this.entries.delete(key);
      }
      throw e;
    });
  }

  /** Several puts in one append and one fsync (batched updates such as last-used times). */
  putMany(items: Array<[string, V]>): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    for (const [k, v] of items) this.entries.set(k, v);
    return this.appendLines(items.map(([key, value]) => ({ op: 'put' as const, key, value })));
  }

  /** False when the key was absent (nothing written). When the write fails the value is back (unless put again meanwhile). */
  async delete(key: string): Promise<boolean> {
    const old = this.entries.get(key);
    if (!this.entries.delete(key)) return false;
    try {
      await this.append({ op: 'delete', key });
    } catch (e) {
      if (!this.entries.has(key)) this.entries.set(key, old as V);
      throw e;
    }
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    await this.file.close();
  }

  private append(record: JournalRecord<V>): Promise<void> {
    return this.appendLines([record]);
  }

  private appendLines(records: Array<JournalRecord<V>>): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path} is closed`));
    const run = async (): Promise<void> => {
      if (this.records - this.entries.size > COMPACT_SLACK) {
        await this.compact();
        return; // the rewrite holds the live entries, these records' effects included
      }
      await this.file.append(records.map((r) => stringify(r) + '\n').join(''));
      this.records += records.length;
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Rewrites the file with one put per live entry (temp, fsync, rename, folder fsync). */
  private async compact(): Promise<void> {
    await this.file.close();
    const lines: string[] = [];
    for (const [key, value] of this.entries) lines.push(stringify({ op: 'put', key, value }) + '\n');
    await writeFileDurably(this.path, lines.join(''));
    this.records = lines.length;
  }
}
