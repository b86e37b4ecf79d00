// Idempotency-Key answers of the HTTP send API: the same key from the same account within the TTL (24 h) gets the
// first answer again, status and body, and queues nothing; the same key with another request is a conflict.
//
// On disk: `<dir>/idempotency.jsonl`, one JSON record per answer kept, `{ "a": account, "k": key, "f": request
// fingerprint, "s": status, "b": body, "t": time }`, appended and fdatasynced before the answer is sent, so a
// restart keeps every answer a client has seen. Replayed at open (a torn last line is ignored, expired records
// skipped); rewritten whole through the durable-file helper when dead records outnumber the live ones.
// In memory: a Map in least-recently-used order, bounded by entries and bytes (the oldest go first) and by the TTL.
// A request still running holds its key: a concurrent duplicate waits for its answer instead of queueing again.
import * as nodeFs from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../storage/durable-file.js';
import { JsonLinesAppender, readJsonLines } from '../storage/json-lines.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export interface IdempotencyOptions {
  /** Default 24 h. */
  ttlMs?: number;
  /** Default 100,000 answers. */
  maxEntries?: number;
  /** Total size of the kept answers' bodies; default 64 MiB. */
  maxBytes?: number;
  now?: () => number;
  /** A durable write failed: the answer is still given and kept in memory, but would not survive a restart. */
  onWriteError?: (err: Error) => void;
}

/** An answer as sent: status, JSON body text, and its own headers (Retry-After, ...). */
export interface KeptAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

interface Entry {
  fingerprint: string;
  answer: KeptAnswer;
  time: number;
}

interface FileRecord {
  a: string;
  k: string;
  f: string;
  s: number;
  b: string;
  /** The answer's own headers, when it has any. */
  h?: Record<string, string>;
  t: number;
}

/** The outcome of `run`: the answer (new or repeated), or a conflict (the key was used for another request). */
export type IdempotentResult = { kind: 'answer'; answer: KeptAnswer; repeated: boolean } | { kind: 'conflict' };

const FILE = 'idempotency.jsonl';
/** Compaction waits for at least this many dead records, so a small file is never rewritten for little gain. */
const MIN_DEAD_FOR_COMPACTION = 1000;

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private readonly running = new Map<string, { fingerprint: string; answer: Promise<KeptAnswer> }>();
  private bytes = 0;
  /** Records in the file, live or not. */
  private fileRecords = 0;
  private file: JsonLinesAppender | null = null;
  /** Appends and rewrites of the file, one after another. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly now: () => number;

  private constructor(
    private readonly dir: string,
    private readonly o: IdempotencyOptions,
  ) {
    this.ttlMs = o.ttlMs ?? IDEMPOTENCY_TTL_MS;
    this.maxEntries = o.maxEntries ?? 100_000;
    this.maxBytes = o.maxBytes ?? 64 * 1024 * 1024;
    this.now = o.now ?? Date.now;
  }

  /** Creates the folder if needed and loads the answers still within the TTL. */
  static async open(dir: string, options: IdempotencyOptions = {}): Promise<IdempotencyStore> {
    await nodeFs.mkdir(dir, { recursive: true, mode: 0o700 });
    const store = new IdempotencyStore(dir, options);
    await store.load();
    return store;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Runs `work` once for (account, key): a kept answer with the same fingerprint is repeated, one with another
   * fingerprint is a conflict, and while `work` runs a duplicate waits for its answer. The answer is kept (and
   * written durably before this resolves) when `keep(answer)` says so: temporary refusals are not, so a retry with
   * the same key runs again.
   */
  async run(account: string, key: string, fingerprint: string, work: () => Promise<KeptAnswer>, keep: (a: KeptAnswer) => boolean): Promise<IdempotentResult> {
    const id = `${account}\u0000${key}`;
    const kept = this.get(id);
    if (kept !== null) return kept.fingerprint === fingerprint ? { kind: 'answer', answer: kept.answer, repeated: true } : { kind: 'conflict' };
    const inFlight = this.running.get(id);
    if (inFlight !== undefined) {
      if (inFlight.fingerprint !== fingerprint) return { kind: 'conflict' };
      return { kind: 'answer', answer: await inFlight.answer, repeated: true };
    }
    const answer = (async (): Promise<KeptAnswer> => {
      const a = await work();
      if (keep(a)) await this.put(id, account, key, { fingerprint, answer: a, time: this.now() });
      return a;
    })();
    this.running.set(id, { fingerprint, answer });
    try {
      return { kind: 'answer', answer: await answer, repeated: false };
    } finally {
      this.running.delete(id);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    await this.file?.close();
  }

  /** The kept entry, refreshed as most recently used; null when absent or expired. */
  private get(id: string): Entry | null {
    const e = this.entries.get(id);
    if (e === undefined) return null;
    this.entries.delete(id);
    if (e.time + this.ttlMs <= this.now()) {
      this.bytes -= e.answer.body.length;
      return null;
    }
    this.entries.set(id, e);
    return e;
  }

  private async put(id: string, account: string, key: string, e: Entry): Promise<void> {
    this.remember(id, e);
    const record = recordOf(account, key, e);
    try {
      await this.append(JSON.stringify(record) + '\n');
    } catch (err) {
      this.o.onWriteError?.(err as Error);
    }
  }

  private remember(id: string, e: Entry): void {
    const old = this.entries.get(id);
    if (old !== undefined) {
      this.bytes -= old.answer.body.length;
      this.entries.delete(id);
    }
    this.entries.set(id, e);
    this.bytes += e.answer.body.length;
    // Least recently used first; the Map keeps insertion order and get() re-inserts on use. The least recently
    // used are also the likeliest to have expired: they go too, so expired answers do not wait for the bounds.
    const expired = e.time - this.ttlMs;
    for (const [oldest, o] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes && o.time > expired) break;
      this.entries.delete(oldest);
      this.bytes -= o.answer.body.length;
    }
  }

  private async load(): Promise<void> {
    const read = await readJsonLines(join(this.dir, FILE));
    const now = this.now();
    this.fileRecords = read.lines;
    for (const v of read.records) {
      const r = v as FileRecord;
      if (typeof r !== 'object' || r === null) continue;
      if (typeof r.a !== 'string' || typeof r.k !== 'string' || typeof r.f !== 'string' || typeof r.s !== 'number' || typeof r.b !== 'string' || typeof r.t !== 'number') continue;
      if (r.t + this.ttlMs <= now) continue;
      const answer: KeptAnswer = { status: r.s, body: r.b };
      if (isPlainObject(r.h) && Object.values(r.h).every((v) => typeof v === 'string')) answer.headers = r.h;
      this.remember(`${r.a}\u0000${r.k}`, { fingerprint: r.f, answer, time: r.t });
    }
    // Start from a file of live records only: the expired records go.
    if (this.fileRecords > this.entries.size) await this.rewrite();
  }

  private append(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the idempotency store is closed'));
    const run = async (): Promise<void> => {
      if (this.fileRecords - this.entries.size >= Math.max(MIN_DEAD_FOR_COMPACTION, this.entries.size)) await this.rewrite();
      this.file ??= new JsonLinesAppender(join(this.dir, FILE));
      await this.file.append(line);
      this.fileRecords++;
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Replaces the file with the live records (temp file, fsync, rename, folder fsync); appends reopen it. */
  private async rewrite(): Promise<void> {
    const now = this.now();
    const lines: string[] = [];
    for (const [id, e] of this.entries) {
      if (e.time + this.ttlMs <= now) continue;
      const nul = id.indexOf('\u0000');
      lines.push(JSON.stringify(recordOf(id.slice(0, nul), id.slice(nul + 1), e)) + '\n');
    }
    await this.file?.close();
    await writeFileDurably(join(this.dir, FILE), lines.join(''));
    this.fileRecords = lines.length;
  }
}

function recordOf(account: string, key: string, e: Entry): FileRecord {
  const record: FileRecord = { a: account, k: key, f: e.fingerprint, s: e.answer.status, b: e.answer.body, t: e.time };
  if (e.answer.headers !== undefined && Object.keys(e.answer.headers).length > 0) record.h = e.answer.headers;
  return record;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
