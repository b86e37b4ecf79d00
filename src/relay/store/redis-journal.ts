// Writes the Redis store could not make (Redis down or not answering), kept in order on disk until they are
// written: `<data>/store/redis-pending.jsonl`, one JSON record a line, appended and fsynced before the write
// resolves, replayed at open (a torn last line is cut off). Once the first n records are in Redis the file is
// rewritten with the rest (durable-file helper), or emptied. A crash between the Redis write and the rewrite
// writes those records again at the next flush: the store's writes are idempotent (HSETNX, HDEL), so that is harmless.
import * as nodeFs from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileDurably } from '../storage/durable-file.js';
import { JsonLinesAppender, readJsonLines } from '../storage/json-lines.js';

/** Records beyond this are refused (the disk would fill during a long outage); the caller reports the error. */
export const MAX_PENDING_WRITES = 1_000_000;

export class WriteJournal<R> {
  private readonly pending: R[] = [];
  private readonly file: JsonLinesAppender;
  /** File operations run one after another, in the order they were asked. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(private readonly path: string) {
    this.file = new JsonLinesAppender(path);
  }

  static async open<R>(path: string, isRecord: (v: unknown) => v is R): Promise<WriteJournal<R>> {
    await nodeFs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const journal = new WriteJournal<R>(path);
    for (const r of (await readJsonLines(path)).records) if (isRecord(r)) journal.pending.push(r);
    return journal;
  }

  get size(): number {
    return this.pending.length;
  }

  /** The records not yet written, oldest first. */
  records(): readonly R[] {
    return this.pending;
  }

  /** Adds a record; resolves when it is on disk. */
  append(record: R): Promise<void> {
    if (this.pending.length >= MAX_PENDING_WRITES) return Promise.reject(new Error(`more than ${MAX_PENDING_WRITES} writes are waiting for Redis`));
    this.pending.push(record);
    return this.run(() => this.file.append(JSON.stringify(record) + '\n'));
  }

  /** Forgets the first `n` records (they are in Redis now). */
  dropFirst(n: number): Promise<void> {
    return this.run(async () => {
      this.pending.splice(0, n);
      await this.file.close();
      await writeFileDurably(this.path, this.pending.map((r) => JSON.stringify(r) + '\n').join(''));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    await this.file.close();
  }

  private run(op: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path} is closed`));
    const p = this.chain.then(op);
    this.chain = p.catch(() => undefined);
    return p;
  }
}
