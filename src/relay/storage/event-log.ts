// The event log: one JSON line per recipient state change (SPEC §5), for stats, the admin event list and audits.
//
// Files `<dir>/events-<seq>.jsonl`, appended in batches: append() only buffers (bounded); every flushIntervalMs
// one write carries every event buffered meanwhile, and an fdatasync follows at most every syncIntervalMs (the
// spool, not this log, is what must survive a power loss; a kill -9 loses nothing written). flush() forces both;
// written() forces the write alone: the scheduler calls it before it records a recipient's state in the spool, so
// a kill -9 never leaves a recipient delivered in the spool and its event only in this process's memory. A file is closed at maxFileBytes and the oldest files beyond maxFiles
// are deleted (rotation). The spool, not this log, decides delivery: when the buffer is full an event is dropped
// and counted (stats().dropped), never the sender held up.
import * as nodeFs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import stringify from 'fast-json-stable-stringify';

export const EVENT_TYPES = ['accepted', 'delivered', 'deferred', 'failed', 'rejected', 'suppressed', 'bounced', 'complained', 'unsubscribed', 'opened', 'clicked'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What a caller records. Absent fields are left out of the line. */
export interface RelayEvent {
  type: EventType;
  /** When it happened, ms since the epoch; default now. */
  time?: number;
  /** The spool id of the message ("queued as <id>"); absent for a message rejected before it had one. */
  id?: string;
  account?: string;
  tag?: string;
  route?: string;
  /** delivered, deferred, failed on an mx route: the destination (its set of MX hosts) the attempt went to. */
  destination?: string;
  recipient?: string;
  /** The upstream reply (delivered, deferred, failed), the reply we gave (accepted, rejected), or the reason (suppressed, unsubscribed). */
  reply?: string;
  /** Delivery attempt number, from 1. */
  attempt?: number;
  /** How long the attempt took. */
  latencyMs?: number;
  /** accepted: the parts the relay dropped from the message (SPEC §3), by type, file name and raw size. */
  dropped?: { type: string; filename: string | null; size: number }[];
  /** bounced: the RFC 3463 status of the report ("5.1.1"). */
  status?: string;
  /** bounced, complained: the remote server's words, or the complaint's Feedback-Type. */
  diagnostic?: string;
  /** bounced: the address itself is bad (it was suppressed); false for a soft bounce or a delay. */
  hard?: boolean;
  /** bounced, complained: the report parser's reason word (userunknown, mailboxfull, feedback, ...). */
  reason?: string;
  /** clicked: the link's original URL. */
  url?: string;
  /** opened, clicked: the fetch's User-Agent and client address (behind trusted proxies, the forwarded one). */
  userAgent?: string;
  client?: string;
  /** opened, clicked: a scanner, a proxy or a prefetch made it, not a person (tracking/machine-fetch.ts). */
  machine?: boolean;
}

/** An event as read back: time as an ISO 8601 string. */
export interface StoredEvent extends Omit<RelayEvent, 'time'> {
  time: string;
}

/** Anything that takes events: the EventLog, or a test's array. */
export interface EventSink {
  append(event: RelayEvent): boolean;
  /** Resolves once every event appended so far has reached the kernel (survives a kill -9); absent = nothing buffered. */
  written?(): Promise<void>;
}

/** A place in the log: a file's sequence number and the byte offset of a line start in it. */
export interface EventPosition {
  seq: number;
  offset: number;
}

/** One line read forward: the event, its exact text (without the newline), where it starts and where the next starts. */
export interface LoggedEvent {
  event: StoredEvent;
  line: string;
  at: EventPosition;
  next: EventPosition;
}

export interface EventLogOptions {
  /** A file is rotated once it reaches this size; default 16 MiB. */
  maxFileBytes?: number;
  /** Files kept, the one being written included; default 16. */
  maxFiles?: number;
  /** Bytes buffered and not yet written before append() drops events; default 8 MiB. */
  maxBufferBytes?: number;
  /** Buffered events are written this often; default 100 ms. */
  flushIntervalMs?: number;
  /** Written events are fdatasynced at most this often; default 1000 ms. flush() always syncs. */
  syncIntervalMs?: number;
}

export interface EventQuery {
  /** Inclusive lower bound, ms since the epoch. */
  from?: number;
  /** Exclusive upper bound, ms since the epoch. */
  to?: number;
  account?: string;
  /** The spool id of the message. */
  id?: string;
  tag?: string;
  type?: EventType | readonly EventType[];
  /** Compared without regard to case. */
  recipient?: string;
  /** From a previous page's `next`. */
  cursor?: string;
  /** Default 100, at most 1000. */
  limit?: number;
  /** Lines read at most (matching or not) before the page ends with `scanLimited`; default no bound. */
  maxScan?: number;
}

export interface EventPage {
  /** Newest first. */
  events: StoredEvent[];
  /** Cursor of the next (older) page, or null when there is none. */
  next: string | null;
  /** With maxScan: the cursor this page started from (the log's end when none was given). */
  start?: string;
  /** With maxScan: lines read, and whether the page ended because maxScan was reached (`next` continues the scan). */
  scanned?: number;
  scanLimited?: boolean;
}

export class EventQueryError extends Error {
  constructor(field: string, reason: string) {
    super(`event query ${field}: ${reason}`);
    this.name = 'EventQueryError';
  }
}

const ORDER_SLACK_MS = 60_000;
const FILE_PATTERN = /^events-(\d{8})\.jsonl$/;
const fileName = (seq: number): string => `events-${String(seq).padStart(8, '0')}.jsonl`;

export class EventLog implements EventSink {
  /** JSON lines not yet written, each ending in "\n"; joined and encoded once per write. */
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private dropped = 0;
  private writeErrors = 0;
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  private file: FileHandle | null = null;
  private fileBytes = 0;
  private closed = false;
  private readonly maxFileBytes: number;
  private readonly maxFiles: number;
  private readonly maxBufferBytes: number;
  private readonly flushIntervalMs: number;
  private readonly syncIntervalMs: number;
  private lastSync = 0;
  private readonly writeListeners = new Set<() => void>();

  private constructor(
    private readonly dir: string,
    private seqs: number[],
    options: EventLogOptions,
  ) {
    this.maxFileBytes = options.maxFileBytes ?? 16 * 1024 * 1024;
    this.maxFiles = Math.max(1, options.maxFiles ?? 16);
    this.maxBufferBytes = options.maxBufferBytes ?? 8 * 1024 * 1024;
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.syncIntervalMs = options.syncIntervalMs ?? 1000;
  }

  static async open(dir: string, options: EventLogOptions = {}): Promise<EventLog> {
    await nodeFs.mkdir(dir, { recursive: true, mode: 0o700 });
    const seqs = (await nodeFs.readdir(dir))
      .map((n) => FILE_PATTERN.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const log = new EventLog(dir, seqs, options);
    if (seqs.length === 0) seqs.push(1);
    await log.openActive();
    return log;
  }

  /** Buffers one event; false when it was dropped (buffer full, or the log closed). */
  append(event: RelayEvent): boolean {
    if (this.closed) return false;
    // One shallow copy with the time as text; absent (undefined) fields are left out by the stringifier.
    const record: Record<string, unknown> = {};
    for (const k in event) record[k] = event[k as keyof RelayEvent];
    record.time = new Date(event.time ?? Date.now()).toISOString();
    const line = stringify(record) + '\n';
    const bytes = Buffer.byteLength(line, 'utf8');
    if (this.bufferedBytes + bytes > this.maxBufferBytes) {
      this.dropped++;
      return false;
    }
    this.buffer.push(line);
    this.bufferedBytes += bytes;
    if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => {
        this.scheduled = false;
        void this.write(false);
      }, this.flushIntervalMs).unref();
    }
    return true;
  }

  /** Resolves when every event appended so far is written and fsynced. */
  flush(): Promise<void> {
    return this.write(true);
  }

  /** Resolves when every event appended so far is written (not fsynced): it then survives a kill -9. */
  written(): Promise<void> {
    return this.write(false);
  }

  /** Calls `fn` after each batch reaches the file (a reader following the log wakes up); returns the unsubscribe. */
  onWritten(fn: () => void): () => void {
    this.writeListeners.add(fn);
    return () => this.writeListeners.delete(fn);
  }

  /** Where the next line written will start. */
  end(): EventPosition {
    return { seq: this.seqs[this.seqs.length - 1]!, offset: this.fileBytes };
  }

  /** The first line of the oldest file kept. */
  start(): EventPosition {
    return { seq: this.seqs[0]!, offset: 0 };
  }

  /**
   * Whole lines written at or after `from`, oldest first, about `maxBytes` of them (at least one line when there
   * is one). A position in a file rotated away moves to the oldest file kept (`skipped` true: events were lost).
   */
  async readForward(from: EventPosition, maxBytes = 256 * 1024): Promise<{ events: LoggedEvent[]; next: EventPosition; skipped: boolean }> {
    let pos = from;
    let skipped = false;
    if (pos.seq < this.seqs[0]!) {
      pos = this.start();
      skipped = true;
    }
    const events: LoggedEvent[] = [];
    for (;;) {
      const seq = pos.seq;
      let fh: FileHandle;
      try {
        fh = await nodeFs.open(join(this.dir, fileName(seq)), 'r');
      } catch {
        // Rotated away while we read: continue with the oldest file kept.
        if (seq >= this.seqs[0]!) return { events, next: pos, skipped };
        pos = this.start();
        skipped = true;
        continue;
      }
      // Decided after the open: a rotation meanwhile makes this file an old one, read to its full size.
      const active = seq === this.seqs[this.seqs.length - 1];
      let size: number;
      let chunk: Buffer;
      try {
        size = active ? this.fileBytes : (await fh.stat()).size;
        let want = Math.min(size - pos.offset, maxBytes);
        chunk = Buffer.alloc(0);
        while (want > 0) {
          chunk = Buffer.allocUnsafe(want);
          const { bytesRead } = await fh.read(chunk, 0, want, pos.offset);
          chunk = chunk.subarray(0, bytesRead);
          // A line longer than maxBytes: read more until it ends.
          if (chunk.lastIndexOf(0x0a) >= 0 || want >= size - pos.offset) break;
          want = Math.min(size - pos.offset, want * 2);
        }
      } finally {
        await fh.close().catch(() => undefined);
      }
      let lineStart = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, lineStart);
        if (nl < 0) break;
        const line = chunk.toString('utf8', lineStart, nl);
        const at = { seq, offset: pos.offset + lineStart };
        lineStart = nl + 1;
        const next = { seq, offset: pos.offset + lineStart };
        const event = parseLine(line);
        if (event !== null) events.push({ event, line, at, next });
      }
      pos = { seq, offset: pos.offset + lineStart };
      const atEnd = pos.offset >= size;
      const nextSeq = this.seqs.find((s) => s > seq);
      if (!atEnd || nextSeq === undefined || events.length > 0) return { events, next: atEnd && nextSeq !== undefined && !active ? { seq: nextSeq, offset: 0 } : pos, skipped };
      pos = { seq: nextSeq, offset: 0 };
    }
  }

  private async write(sync: boolean): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0 && !sync) return;
    this.flushing = this.writeBatch(sync).finally(() => (this.flushing = null));
    await this.flushing;
  }

  stats(): { dropped: number; writeErrors: number; bufferedBytes: number; files: number } {
    return { dropped: this.dropped, writeErrors: this.writeErrors, bufferedBytes: this.bufferedBytes, files: this.seqs.length };
  }

  /** Events matching the query, newest first, one page at a time. */
  async read(query: EventQuery = {}): Promise<EventPage> {
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new EventQueryError('limit', 'must be an integer from 1 to 1000');
    const start = parseCursor(query.cursor);
    const types = query.type === undefined ? null : new Set<string>(typeof query.type === 'string' ? [query.type] : query.type);
    const recipient = query.recipient?.toLowerCase();
    await this.flush();
    const events: StoredEvent[] = [];
    const maxScan = query.maxScan;
    if (maxScan !== undefined && (!Number.isInteger(maxScan) || maxScan < 1)) throw new EventQueryError('maxScan', 'must be a positive integer');
    const startCursor = start ? `${start.seq}:${start.offset}` : `${this.seqs[this.seqs.length - 1]!}:${this.fileBytes}`;
    let scanned = 0;
    const bounded = (page: EventPage): EventPage => (maxScan === undefined ? page : { ...page, start: startCursor, scanned, scanLimited: page.scanLimited ?? false });
    for (const seq of [...this.seqs].reverse()) {
      if (start && seq > start.seq) continue;
      let bytes: Buffer;
      try {
        bytes = await nodeFs.readFile(join(this.dir, fileName(seq)));
      } catch {
        continue; // rotated away meanwhile
      }
      let end = start && seq === start.seq ? Math.min(start.offset, bytes.length) : bytes.length;
      let newestInFile = true;
      while (end > 0) {
        // The line ending at `end` (exclusive of its newline) starts after the previous newline.
        const stop = bytes[end - 1] === 0x0a ? end - 1 : end;
        const lineStart = bytes.lastIndexOf(0x0a, stop - 1) + 1;
        if (maxScan !== undefined && scanned === maxScan) return bounded({ events, next: `${seq}:${end}`, scanLimited: true });
        scanned++;
        const e = parseLine(bytes.toString('utf8', lineStart, stop));
        end = lineStart;
        if (e === null) continue;
        const t = Date.parse(e.time);
        // Files are in time order: when even the newest line of a file is well before `from`, older files are too
        // (the minute of slack covers events stamped by their caller slightly before being appended).
        // A bounded (maxScan) read applies the same rule to every line: lines are appended in time order too.
        if ((newestInFile || maxScan !== undefined) && query.from !== undefined && t < query.from - ORDER_SLACK_MS) return bounded({ events, next: null });
        newestInFile = false;
        if (query.from !== undefined && t < query.from) continue;
        if (query.to !== undefined && t >= query.to) continue;
        if (query.account !== undefined && e.account !== query.account) continue;
        if (query.id !== undefined && e.id !== query.id) continue;
        if (query.tag !== undefined && e.tag !== query.tag) continue;
        if (types && !types.has(e.type)) continue;
        if (recipient !== undefined && e.recipient?.toLowerCase() !== recipient) continue;
        events.push(e);
        if (events.length === limit) return bounded({ events, next: lineStart > 0 || seq !== this.seqs[0] ? `${seq}:${lineStart}` : null });
      }
    }
    return bounded({ events, next: null });
  }

  /** Writes what is buffered and closes the file; later appends are dropped. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.file?.close().catch(() => undefined);
    this.file = null;
  }

  private async openActive(): Promise<void> {
    const seq = this.seqs[this.seqs.length - 1]!;
    const path = join(this.dir, fileName(seq));
    this.file = await nodeFs.open(path, 'a+', 0o600);
    const { size } = await this.file.stat();
    this.fileBytes = size;
    if (size > 0) {
      // A crash may have left half a line: cut it so the next line starts clean.
      const last = Buffer.alloc(1);
      await this.file.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) {
        const bytes = await nodeFs.readFile(path);
        this.fileBytes = bytes.lastIndexOf(0x0a) + 1;
        await this.file.truncate(this.fileBytes);
      }
    }
  }

  private async writeBatch(forceSync: boolean): Promise<void> {
    const batch = this.buffer;
    const bytes = this.bufferedBytes;
    this.buffer = [];
    this.bufferedBytes = 0;
    try {
      if (bytes > 0) {
        if (this.fileBytes > 0 && this.fileBytes + bytes > this.maxFileBytes) await this.rotate();
        const data = Buffer.from(batch.length === 1 ? batch[0]! : batch.join(''), 'utf8');
        await this.file!.write(data, 0, data.length, null);
        this.fileBytes += data.length;
      }
      if (bytes > 0) for (const fn of this.writeListeners) fn();
      const now = Date.now();
      if (forceSync || now - this.lastSync >= this.syncIntervalMs) {
        await this.file!.datasync();
        this.lastSync = now;
      }
    } catch {
      // Lost with the disk (full, I/O error): counted, and the next batch tries again.
      this.writeErrors++;
      this.dropped += batch.length;
    }
  }

  private async rotate(): Promise<void> {
    await this.file?.close();
    this.file = null;
    this.seqs.push(this.seqs[this.seqs.length - 1]! + 1);
    await this.openActive();
    while (this.seqs.length > this.maxFiles) {
      const old = this.seqs.shift()!;
      await nodeFs.unlink(join(this.dir, fileName(old))).catch(() => undefined);
    }
  }
}

function parseCursor(cursor: string | undefined): { seq: number; offset: number } | null {
  if (cursor === undefined) return null;
  const m = /^(\d{1,8}):(\d{1,12})$/.exec(cursor);
  if (!m) throw new EventQueryError('cursor', `malformed: ${JSON.stringify(cursor)}`);
  return { seq: Number(m[1]), offset: Number(m[2]) };
}

function parseLine(line: string): StoredEvent | null {
  if (line === '') return null;
  try {
    const e = JSON.parse(line) as StoredEvent;
    return typeof e.type === 'string' && typeof e.time === 'string' ? e : null;
  } catch {
    return null;
  }
}

/** The accept path, after the 250: one `accepted` event per recipient, with the reply we gave. */
export function recordAccepted(
  sink: EventSink,
  message: { id: string; account: string; tag: string; route: string; recipients: readonly { recipient: string }[] },
  reply: string,
  time: number = Date.now(),
  dropped: RelayEvent['dropped'] = [],
): void {
  for (const r of message.recipients) {
    const e: RelayEvent = { type: 'accepted', time, id: message.id, account: message.account, tag: message.tag, route: message.route, recipient: r.recipient, reply };
    if (dropped.length > 0) e.dropped = dropped;
    sink.append(e);
  }
}

/** The accept path, when it refuses a message at SMTP: one `rejected` event per RCPT address, with the reply we gave. */
export function recordRejected(
  sink: EventSink,
  message: { account?: string | null; tag?: string | null; route?: string | null; recipients: readonly string[] },
  reply: string,
  time: number = Date.now(),
): void {
  for (const recipient of message.recipients) {
    const e: RelayEvent = { type: 'rejected', time, recipient, reply };
    if (message.account) e.account = message.account;
    if (message.tag) e.tag = message.tag;
    if (message.route) e.route = message.route;
    sink.append(e);
  }
}
