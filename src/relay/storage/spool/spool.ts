// The spool: accepted messages on local disk, durable before the 250 reply, resumed after a crash. The layout,
// the record format and the durability rule are stated at the head of record-format.ts; this file does the I/O:
// group commit of message records, state records, recovery at open, segment removal and compaction.
import * as nodeFs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory } from '../durable-file.js';
import {
  FRAME_BYTES,
  SEGMENT_MAGIC,
  SEQ_DIGITS,
  STATE_MAGIC,
  decodeMessage,
  decodeMeta,
  decodeState,
  encodeMessage,
  encodeState,
  scanRecords,
  type MessageMeta,
  type StateRecord,
} from './record-format.js';
import { SPOOL_ID_PATTERN, newUid } from './spool-id.js';
import {
  SpoolFullError,
  SpoolMessageError,
  SpoolUnknownMessageError,
  SpoolWriteError,
  type DeliveryOutcome,
  type RecipientStatus,
  type SpoolEntry,
  type SpoolFs,
  type SpoolMessage,
  type SpoolOptions,
  type SpoolRecipientState,
  type SpoolRecovery,
} from './types.js';

// ---------------------------------------------------------------- in-memory state

interface Segment {
  seq: number;
  path: string;
  statePath: string;
  fh: FileHandle;
  /** Bytes of intact data in the .seg file. */
  size: number;
  /** Messages in this segment with a pending recipient, and the bytes of their records. */
  live: number;
  liveBytes: number;
  stateFh: FileHandle | null;
  stateSize: number;
  /** Serialises state writes and the segment's removal. */
  chain: Promise<void>;
  /** State records appended while a state write is in flight: the next write takes them all. */
  stateQueue: QueuedState[];
  stateDraining: boolean;
  removed: boolean;
  compacting: boolean;
  /** When appends to it stopped (ms since epoch); 0 for segments found at open. */
  retiredAt: number;
}

interface Held {
  entry: SpoolEntry & { recipients: SpoolRecipientState[] };
  uid: string;
  segment: Segment;
  /** Payload position and length in the segment file. */
  offset: number;
  length: number;
  /** The message as enqueued, until its first read (see SpoolOptions.readCacheBytes). */
  cached: SpoolMessage | null;
  cachedBytes: number;
}

/** A state record waiting for its segment's next state write. */
interface QueuedState {
  id: string;
  buf: Buffer;
  resolve(): void;
  reject(err: unknown): void;
}

/** A record waiting for the next batch; `written` runs once it is durable, `failed` if the batch failed. */
interface QueuedWrite {
  record: Buffer;
  written(seg: Segment, payloadOffset: number): void;
  failed(err: SpoolWriteError): void;
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? err);
}

function pendingIn(h: Held): boolean {
  return h.entry.recipients.some((r) => r.status === 'pending');
}

// ---------------------------------------------------------------- the spool

export class Spool {
  readonly dir: string;
  readonly recovery: SpoolRecovery;
  private readonly fs: SpoolFs;
  private readonly maxBytes: number;
  private readonly maxMessages: number;
  private readonly segmentBytes: number;
  private readonly compactAfterMs: number;
  private readonly readCacheBytes: number;
  private cachedBytes = 0;
  private readonly held = new Map<string, Held>();
  private readonly segments = new Map<number, Segment>();
  private active: Segment | null = null;
  private lastSeq: number;
  private diskBytes = 0;
  private queue: QueuedWrite[] = [];
  private queuedIds = new Set<string>();
  private queuedBytes = 0;
  private flushing: Promise<void> | null = null;
  private readonly compactions = new Set<Promise<void>>();
  private closed = false;
  /** Batches written so far (one fdatasync each): lets the benchmark and tests observe group commit. */
  batches = 0;
  /** Segments emptied by copying their last pending messages forward. */
  compacted = 0;

  private constructor(dir: string, options: SpoolOptions, lastSeq: number, recovery: SpoolRecovery) {
    this.dir = dir;
    this.fs = options.fs ?? (nodeFs as unknown as SpoolFs);
    this.maxBytes = options.maxPendingBytes ?? 1024 * 1024 * 1024;
    this.maxMessages = options.maxPendingMessages ?? 100_000;
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    this.compactAfterMs = options.compactAfterMs ?? 60_000;
    this.readCacheBytes = options.readCacheBytes ?? 16 * 1024 * 1024;
    this.lastSeq = lastSeq;
    this.recovery = recovery;
  }

  /** Opens (creating if needed) the spool folder, cuts torn records, and holds every message still pending. */
  static async open(dir: string, options: SpoolOptions = {}): Promise<Spool> {
    const fs = options.fs ?? (nodeFs as unknown as SpoolFs);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const names = await fs.readdir(dir);
    const segPattern = new RegExp(`^(\\d{${SEQ_DIGITS}})\\.seg$`);
    const statePattern = new RegExp(`^(\\d{${SEQ_DIGITS}})\\.state$`);
    const seqs: number[] = [];
    const stateSeqs = new Set<number>();
    for (const name of names) {
      const s = segPattern.exec(name);
      const st = statePattern.exec(name);
      if (s) seqs.push(Number(s[1]));
      else if (st) stateSeqs.add(Number(st[1]));
      else if (name.endsWith('.tmp')) await fs.unlink(join(dir, name));
    }
    seqs.sort((a, b) => a - b);
    const recovery: SpoolRecovery = { messages: 0, tornBytes: 0, reclaimedSegments: 0 };
    const spool = new Spool(dir, options, Math.max(0, ...seqs, ...stateSeqs), recovery);
    for (const seq of stateSeqs) {
      if (!seqs.includes(seq)) await fs.unlink(spool.statePathOf(seq));
    }
    await spool.recover(seqs, stateSeqs);
    recovery.messages = spool.held.size;
    for (const seg of spool.segments.values()) spool.maybeCompact(seg);
    return spool;
  }

  private segPathOf(seq: number): string {
    return join(this.dir, `${String(seq).padStart(SEQ_DIGITS, '0')}.seg`);
  }

  private statePathOf(seq: number): string {
    return join(this.dir, `${String(seq).padStart(SEQ_DIGITS, '0')}.state`);
  }

  /**
   * Rebuilds the held messages. A message may have copies in several segments (compaction copies forward):
   * the newest copy wins. Completions count from every state file (a final outcome is final wherever it was
   * written); deferrals only from the winning copy's own segment, where they follow the copy.
   */
  private async recover(seqs: readonly number[], stateSeqs: ReadonlySet<number>): Promise<void> {
    const winners = new Map<string, Held>();
    const loaded: Segment[] = [];
    for (const seq of seqs) {
      const { seg, records } = await this.loadSegment(seq);
      loaded.push(seg);
      for (const h of records) winners.set(h.entry.id, h);
    }
    for (const seg of loaded) {
      if (stateSeqs.has(seg.seq)) await this.loadState(seg, winners);
    }
    for (const [id, h] of winners) {
      if (!pendingIn(h)) continue;
      this.held.set(id, h);
      h.segment.live++;
      h.segment.liveBytes += h.length + FRAME_BYTES;
    }
    for (const seg of loaded) {
      this.segments.set(seg.seq, seg);
      this.diskBytes += seg.size + seg.stateSize;
    }
    for (const seg of loaded) {
      if (seg.live > 0) continue;
      this.recovery.reclaimedSegments++;
      await this.removeSegment(seg);
    }
  }

  private async loadSegment(seq: number): Promise<{ seg: Segment; records: Held[] }> {
    const path = this.segPathOf(seq);
    const fh = await this.fs.open(path, 'r+');
    const buf = await fh.readFile();
    const { records, validLength } = scanRecords(buf, SEGMENT_MAGIC);
    const seg: Segment = {
      seq, path, statePath: this.statePathOf(seq), fh, size: validLength, live: 0, liveBytes: 0,
      stateFh: null, stateSize: 0, chain: Promise.resolve(), stateQueue: [], stateDraining: false, removed: false, compacting: false, retiredAt: 0,
    };
    if (validLength < buf.length) {
      this.recovery.tornBytes += buf.length - validLength;
      await fh.truncate(validLength);
    }
    const held: Held[] = [];
    for (const { offset, payload } of records) {
      let meta: MessageMeta;
      try {
        meta = decodeMeta(payload).meta;
      } catch {
        continue; // An intact frame with an unreadable payload cannot come from this code; skip rather than stop.
      }
      held.push({
        entry: {
          id: meta.id, account: meta.account, route: meta.route, tag: meta.tag, from: meta.from,
          createdAt: meta.createdAt, meta: meta.meta,
          recipients: meta.recipients.map((r) => ({
            recipient: r.recipient, size: r.size, status: r.status ?? 'pending', attempts: r.attempts ?? 0,
            nextAttemptAt: r.at ?? 0, reply: r.reply ?? null,
          })),
        },
        uid: meta.uid, segment: seg, offset, length: payload.length, cached: null, cachedBytes: 0,
      });
    }
    return { seg, records: held };
  }

  private async loadState(seg: Segment, winners: ReadonlyMap<string, Held>): Promise<void> {
    const sfh = await this.fs.open(seg.statePath, 'r+');
    const buf = await sfh.readFile();
    const { records, validLength } = scanRecords(buf, STATE_MAGIC);
    if (validLength < buf.length) {
      this.recovery.tornBytes += buf.length - validLength;
      await sfh.truncate(validLength);
    }
    // Closed rather than kept: appends reopen it in append mode, so they land at its (possibly cut) end.
    await sfh.close();
    seg.stateSize = validLength;
    for (const { payload } of records) {
      let rec: StateRecord;
      try {
        rec = decodeState(payload);
      } catch {
        continue; // Ignoring a state record only means a recipient may be delivered again.
      }
      const h = winners.get(rec.id);
      const r = h?.uid === rec.u ? h.entry.recipients[rec.i] : undefined;
      if (!h || !r) continue;
      if (rec.op === 'complete') {
        r.status = rec.status;
        r.reply = rec.reply;
      } else if (r.status === 'pending' && h.segment === seg) {
        r.nextAttemptAt = rec.at;
        r.attempts = rec.attempts;
        r.reply = rec.reply;
      }
    }
  }

  // ------------------------------------------------------------ accept path

  /**
   * Makes the message durable: resolves after its record is written and fdatasynced (with the folder entry of
   * its segment already fsynced). Rejects with SpoolFullError or SpoolWriteError (nothing kept in either case).
   */
  enqueue(msg: SpoolMessage): Promise<SpoolEntry> {
    if (this.closed) return Promise.reject(new SpoolWriteError('the spool is closed'));
    try {
      checkMessage(msg);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.held.has(msg.id) || this.queuedIds.has(msg.id)) {
      return Promise.reject(new SpoolMessageError('id', `${JSON.stringify(msg.id)} is already in the spool`));
    }
    if (this.held.size + this.queuedIds.size + 1 > this.maxMessages) {
      return Promise.reject(new SpoolFullError(`${this.held.size + this.queuedIds.size} messages pending (max ${this.maxMessages})`));
    }
    const uid = newUid();
    const record = encodeMessage(msg, uid);
    if (this.diskBytes + this.queuedBytes + record.length > this.maxBytes) {
      return Promise.reject(new SpoolFullError(`${this.diskBytes + this.queuedBytes} bytes on disk, message needs ${record.length} (max ${this.maxBytes})`));
    }
    this.queuedIds.add(msg.id);
    this.queuedBytes += record.length;
    // The reservation ends before the promise settles, so the caller's next step already sees it gone.
    const release = (): void => {
      this.queuedIds.delete(msg.id);
      this.queuedBytes -= record.length;
    };
    return new Promise<SpoolEntry>((resolve, reject) => {
      this.push({
        record,
        written: (seg, offset) => {
          const entry = {
            id: msg.id, account: msg.account, route: msg.route, tag: msg.tag, from: msg.from, createdAt: msg.createdAt,
            meta: msg.meta ?? null,
            recipients: msg.recipients.map((r) => ({ recipient: r.recipient, size: r.body.length, status: 'pending' as RecipientStatus, attempts: 0, nextAttemptAt: 0, reply: null })),
          };
          const held: Held = { entry, uid, segment: seg, offset, length: record.length - FRAME_BYTES, cached: null, cachedBytes: 0 };
          if (this.cachedBytes + held.length <= this.readCacheBytes) {
            held.cached = { ...msg, recipients: msg.recipients.map((r) => ({ recipient: r.recipient, body: r.body })) };
            held.cachedBytes = held.length;
            this.cachedBytes += held.length;
          }
          this.held.set(entry.id, held);
          seg.live++;
          seg.liveBytes += record.length;
          release();
          resolve(entry);
        },
        failed: (err) => {
          release();
          reject(err);
        },
      });
    });
  }

  private push(w: QueuedWrite): void {
    this.queue.push(w);
    if (!this.flushing) this.flushing = this.flushLoop();
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      // One turn of the event loop lets callers that were just resolved (and the sessions behind them) queue
      // their next message into this batch, instead of splitting writers into two alternating half-batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = this.queue;
      this.queue = [];
      await this.writeBatch(batch);
    }
    this.flushing = null;
  }

  private async writeBatch(batch: QueuedWrite[]): Promise<void> {
    let seg: Segment;
    try {
      seg = await this.activeSegment();
    } catch (err) {
      const error = new SpoolWriteError(`cannot create a segment in ${this.dir}: ${errText(err)}`, err);
      for (const w of batch) w.failed(error);
      return;
    }
    const start = seg.size;
    const total = batch.reduce((n, w) => n + w.record.length, 0);
    try {
      // Chunks of at most 512 buffers keep each writev under IOV_MAX.
      let pos = start;
      for (let i = 0; i < batch.length; i += 512) {
        const bufs = batch.slice(i, i + 512).map((w) => w.record);
        const want = bufs.reduce((n, b) => n + b.length, 0);
        const { bytesWritten } = await seg.fh.writev(bufs, pos);
        if (bytesWritten !== want) throw new Error(`short write: ${bytesWritten} of ${want} bytes`);
        pos += want;
      }
      await seg.fh.datasync();
    } catch (err) {
      // Nothing of this batch may survive: cut the file back, and append no more to it, because after a failed
      // write or fsync the page cache of this file cannot be trusted. If even the cut fails, the records of this
      // batch may resurface at the next start: a duplicate after the client's retry, never a loss.
      try {
        await seg.fh.truncate(start);
      } catch {
        // Reported through the rejection below; the segment is retired either way.
      }
      this.retire(seg);
      const error = new SpoolWriteError(errText(err), err);
      for (const w of batch) w.failed(error);
      return;
    }
    this.batches++;
    seg.size = start + total;
    this.diskBytes += total;
    let offset = start;
    for (const w of batch) {
      w.written(seg, offset + FRAME_BYTES);
      offset += w.record.length;
    }
    if (seg.size >= this.segmentBytes) this.retire(seg);
  }

  private async activeSegment(): Promise<Segment> {
    if (this.active) return this.active;
    const seq = ++this.lastSeq;
    const path = this.segPathOf(seq);
    const fh = await this.fs.open(path, 'wx+', 0o600);
    try {
      const { bytesWritten } = await fh.write(SEGMENT_MAGIC, 0, SEGMENT_MAGIC.length, 0);
      if (bytesWritten !== SEGMENT_MAGIC.length) throw new Error('short write of the segment header');
      // The folder entry must be durable before any record in this file is acknowledged.
      await this.syncDir();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await this.fs.unlink(path).catch(() => undefined);
      throw err;
    }
    const seg: Segment = {
      seq, path, statePath: this.statePathOf(seq), fh, size: SEGMENT_MAGIC.length, live: 0, liveBytes: 0,
      stateFh: null, stateSize: 0, chain: Promise.resolve(), stateQueue: [], stateDraining: false, removed: false, compacting: false, retiredAt: 0,
    };
    this.segments.set(seq, seg);
    this.diskBytes += seg.size;
    this.active = seg;
    return seg;
  }

  private syncDir(): Promise<void> {
    return fsyncDirectory(this.dir, this.fs);
  }

  /** Stops appending to a segment; deletes it at once when nothing in it is pending. */
  private retire(seg: Segment): void {
    if (this.active === seg) this.active = null;
    seg.retiredAt = Date.now();
    if (seg.live === 0) void this.scheduleRemoval(seg);
    else this.maybeCompact(seg);
  }

  private scheduleRemoval(seg: Segment): Promise<void> {
    seg.chain = seg.chain.then(() => this.removeSegment(seg));
    return seg.chain;
  }

  private async removeSegment(seg: Segment): Promise<void> {
    if (seg.removed) return;
    seg.removed = true;
    this.segments.delete(seg.seq);
    this.diskBytes -= seg.size + seg.stateSize;
    await seg.fh.close().catch(() => undefined);
    await seg.stateFh?.close().catch(() => undefined);
    // The .seg goes first: a .state without its .seg is discarded at open, the reverse would re-deliver.
    await this.fs.unlink(seg.path).catch(() => undefined);
    await this.fs.unlink(seg.statePath).catch(() => undefined);
  }

  // ------------------------------------------------------------ compaction

  /**
   * A segment no longer appended to is kept whole while any message in it is pending, so a few long-deferred
   * messages could pin many segments' worth of disk. Once its pending records are at most a quarter of it,
   * they are copied forward (through the same group commit) and the segment is deleted.
   */
  private maybeCompact(seg: Segment, now = false): void {
    if (this.closed || seg.removed || seg.compacting || seg === this.active || seg.live === 0) return;
    if (seg.liveBytes * 4 > seg.size || (!now && Date.now() - seg.retiredAt < this.compactAfterMs)) return;
    const run = this.compact(seg).finally(() => this.compactions.delete(run));
    this.compactions.add(run);
  }

  /** Compacts every segment that qualifies by size, however recently it was closed, and waits for it. */
  async compactNow(): Promise<void> {
    for (const seg of [...this.segments.values()]) this.maybeCompact(seg, true);
    await Promise.all([...this.compactions]);
  }

  private async compact(seg: Segment): Promise<void> {
    seg.compacting = true;
    const members = [...this.held.values()].filter((h) => h.segment === seg);
    // A failed copy leaves its message where it is; the segment is tried again at its next trigger.
    const results = await Promise.allSettled(members.map((h) => this.copyForward(h, seg)));
    seg.compacting = false;
    if (results.every((r) => r.status === 'fulfilled')) this.compacted++;
    if (seg.live === 0 && !seg.removed && seg !== this.active) await this.scheduleRemoval(seg);
  }

  private async copyForward(h: Held, from: Segment): Promise<void> {
    const msg = await this.read(h.entry.id);
    const snapshot = h.entry.recipients.map((r) => ({ ...r }));
    const record = encodeMessage(msg, h.uid, snapshot);
    await new Promise<void>((resolve, reject) => {
      this.push({
        record,
        written: (to, offset) => {
          const current = this.held.get(h.entry.id) === h;
          if (current && h.segment === from) {
            h.segment = to;
            h.offset = offset;
            h.length = record.length - FRAME_BYTES;
            from.live--;
            from.liveBytes -= record.length;
            to.live++;
            to.liveBytes += record.length;
          }
          // Outcomes recorded while the copy was being written went to the old segment's state file, which is
          // about to go: repeat them beside the copy (a finished message's copy must not come back pending).
          h.entry.recipients.forEach((r, i) => {
            const was = snapshot[i]!;
            if (r.status !== 'pending' && was.status === 'pending') {
              void this.appendState(to, { op: 'complete', id: h.entry.id, u: h.uid, i, status: r.status, reply: r.reply }).catch(() => undefined);
            } else if (r.status === 'pending' && r.attempts !== was.attempts) {
              void this.appendState(to, { op: 'defer', id: h.entry.id, u: h.uid, i, at: r.nextAttemptAt, attempts: r.attempts, reply: r.reply }).catch(() => undefined);
            }
          });
          resolve();
        },
        failed: reject,
      });
    });
  }

  // ------------------------------------------------------------ delivery side

  /** Every message with a pending recipient (those found at open, and those enqueued since). */
  pending(): SpoolEntry[] {
    return [...this.held.values()].map((h) => h.entry);
  }

  get(id: string): SpoolEntry | null {
    return this.held.get(id)?.entry ?? null;
  }

  /** Reads a held message back with its bodies. */
  async read(id: string): Promise<SpoolMessage> {
    const h = this.held.get(id);
    if (!h) throw new SpoolUnknownMessageError(id);
    const cached = h.cached;
    if (cached !== null) {
      // First read of a message enqueued by this process: the bytes it wrote, not a read back from the file.
      this.uncache(h);
      return cached;
    }
    let payload: Buffer;
    for (;;) {
      const seg = h.segment;
      try {
        payload = Buffer.allocUnsafe(h.length);
        const { bytesRead } = await seg.fh.read(payload, 0, h.length, h.offset);
        if (bytesRead !== h.length) throw new Error(`spool segment ${seg.path} is shorter than its index (${id})`);
        break;
      } catch (err) {
        // Compaction moved the message (and closed the old file) during the read: read the copy.
        if (h.segment === seg) throw err;
      }
    }
    return decodeMessage(payload);
  }

  private uncache(h: Held): void {
    if (h.cached === null) return;
    h.cached = null;
    this.cachedBytes -= h.cachedBytes;
    h.cachedBytes = 0;
  }

  /** Records a final outcome for one recipient; the message leaves the spool when no recipient is pending. */
  async complete(id: string, recipientIndex: number, outcome: DeliveryOutcome): Promise<void> {
    const { h, r } = this.recipientOf(id, recipientIndex);
    if (r.status !== 'pending') return;
    r.status = outcome.status;
    r.reply = outcome.reply ?? null;
    try {
      await this.appendState(h.segment, { op: 'complete', id, u: h.uid, i: recipientIndex, status: outcome.status, reply: r.reply });
    } finally {
      // Also after a failed append: memory is the truth while running. The held check makes concurrent
      // completions of the last recipients release the message once.
      if (this.held.get(id) === h && !pendingIn(h)) {
        this.held.delete(id);
        this.uncache(h);
        const seg = h.segment;
        seg.live--;
        seg.liveBytes -= h.length + FRAME_BYTES;
        if (seg.live === 0 && this.active !== seg && !seg.compacting) await this.scheduleRemoval(seg);
        else this.maybeCompact(seg);
      }
    }
  }

  /** Records a temporary failure: try this recipient again not before `nextAttemptAt`. */
  async defer(id: string, recipientIndex: number, nextAttemptAt: number, reply?: string): Promise<void> {
    const { h, r } = this.recipientOf(id, recipientIndex);
    if (r.status !== 'pending') return;
    r.attempts++;
    r.nextAttemptAt = nextAttemptAt;
    r.reply = reply ?? null;
    await this.appendState(h.segment, { op: 'defer', id, u: h.uid, i: recipientIndex, at: nextAttemptAt, attempts: r.attempts, reply: r.reply });
    this.maybeCompact(h.segment);
  }

  private recipientOf(id: string, index: number): { h: Held; r: SpoolRecipientState } {
    const h = this.held.get(id);
    if (!h) throw new SpoolUnknownMessageError(id);
    const r = h.entry.recipients[index];
    if (!r) throw new RangeError(`spool message ${id} has no recipient ${index} (it has ${h.entry.recipients.length})`);
    return { h, r };
  }

  /**
   * Appends one state record. Not fsynced (see the file comment). Records that arrive while a state write of the
   * same segment is in flight go out together in the next write (one thread-pool round trip for many
   * recipients, not one each). On a write error the in-memory state still holds; the rejection only reports
   * that a crash could cost a duplicate delivery.
   */
  private appendState(seg: Segment, rec: StateRecord): Promise<void> {
    const buf = encodeState(rec);
    return new Promise<void>((resolve, reject) => {
      seg.stateQueue.push({ id: rec.id, buf, resolve, reject });
      if (seg.stateDraining) return;
      seg.stateDraining = true;
      seg.chain = seg.chain.then(() => this.drainState(seg));
    });
  }

  /** Writes the segment's queued state records, batch after batch, until none is left. Never rejects. */
  private async drainState(seg: Segment): Promise<void> {
    while (seg.stateQueue.length > 0) {
      const batch = seg.stateQueue;
      seg.stateQueue = [];
      try {
        if (!seg.removed) await this.writeStates(seg, batch);
        for (const q of batch) q.resolve();
      } catch (err) {
        for (const q of batch) q.reject(new SpoolWriteError(`state of ${q.id}: ${errText(err)}`, err));
      }
    }
    seg.stateDraining = false;
  }

  private async writeStates(seg: Segment, batch: readonly QueuedState[]): Promise<void> {
    if (!seg.stateFh) {
      seg.stateFh = await this.fs.open(seg.statePath, 'a+', 0o600);
      const { size } = await seg.stateFh.stat();
      this.diskBytes += size - seg.stateSize;
      seg.stateSize = size;
    }
    if (seg.stateSize === 0) {
      const { bytesWritten } = await seg.stateFh.write(STATE_MAGIC, 0, STATE_MAGIC.length, null);
      seg.stateSize += bytesWritten;
      this.diskBytes += bytesWritten;
      if (bytesWritten !== STATE_MAGIC.length) throw new Error('short write of the state header');
    }
    const data = batch.length === 1 ? batch[0]!.buf : Buffer.concat(batch.map((q) => q.buf));
    const { bytesWritten } = await seg.stateFh.write(data, 0, data.length, null);
    seg.stateSize += bytesWritten;
    this.diskBytes += bytesWritten;
    if (bytesWritten !== data.length) throw new Error('short write of state records');
  }

  // ------------------------------------------------------------ lifecycle

  /** Sizes for metrics and limits. */
  stats(): { messages: number; recipients: number; diskBytes: number; segments: number } {
    let recipients = 0;
    for (const h of this.held.values()) for (const r of h.entry.recipients) if (r.status === 'pending') recipients++;
    return { messages: this.held.size, recipients, diskBytes: this.diskBytes, segments: this.segments.size };
  }

  /** Waits for compactions and writes in flight, then closes every file. Later enqueue calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.compactions.size > 0) await Promise.all([...this.compactions]);
    while (this.flushing) await this.flushing;
    for (const seg of [...this.segments.values()]) {
      await seg.chain;
      if (seg.removed) continue;
      if (seg.live === 0) {
        await this.removeSegment(seg); // nothing pending in it: leave no file for the next start to reclaim
        continue;
      }
      await seg.fh.close().catch(() => undefined);
      await seg.stateFh?.close().catch(() => undefined);
    }
    this.segments.clear();
    this.active = null;
  }
}

function checkMessage(msg: SpoolMessage): void {
  if (typeof msg.id !== 'string' || !SPOOL_ID_PATTERN.test(msg.id)) throw new SpoolMessageError('id', `must match [A-Za-z0-9_-]{1,64}, got ${JSON.stringify(msg.id)}`);
  for (const f of ['account', 'route', 'tag', 'from'] as const) {
    if (typeof msg[f] !== 'string') throw new SpoolMessageError(f, 'must be a string');
  }
  if (!Number.isFinite(msg.createdAt)) throw new SpoolMessageError('createdAt', 'must be a number (ms since epoch)');
  if (!Array.isArray(msg.recipients) || msg.recipients.length === 0) throw new SpoolMessageError('recipients', 'must hold at least one recipient');
  msg.recipients.forEach((r, i) => {
    if (typeof r.recipient !== 'string' || r.recipient.length === 0) throw new SpoolMessageError(`recipients[${i}].recipient`, 'must be a non-empty string');
    if (!Buffer.isBuffer(r.body)) throw new SpoolMessageError(`recipients[${i}].body`, 'must be a Buffer');
  });
}
