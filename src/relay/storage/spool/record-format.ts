// The spool's on-disk format: accepted messages on local disk, durable before the 250 reply, resumed after a crash.
// This file holds the pure half (framing, encoding, decoding, scanning: no I/O); spool.ts does the writing.
//
// Layout: an append-only log split in segments. `<dir>/<seq>.seg` holds message records; `<dir>/<seq>.state`
// holds the delivery-state records of the messages of that segment. One enqueue call = one record, so every
// recipient of one SMTP message becomes durable together or not at all.
//
// Group commit: enqueue calls that arrive while a write+fdatasync is in flight wait in a queue; the next batch
// writes all of them with one writev and one fdatasync. A new segment costs one directory fsync when created
// (before any record in it is acknowledged); appends need none, because the file's name is already durable.
//
// Record framing (both files): u32 payload length | u32 CRC-32 of the payload | payload. A record that is
// short, has a zero length or a wrong CRC is torn: it and everything after it is cut off at open.
// Message payload: u8 'M' | u32 meta length | meta JSON (fast-json-stable-stringify) | the bodies, in order.
// State payload: JSON {op:"complete"|"defer", id, i, ...}.
//
// State records are written but not fsynced: a kill -9 keeps them (page cache), and a power loss that drops one
// only re-delivers that recipient (at least once, never zero times). State records name the message's uid (random
// per enqueue), so they never apply to another message that reused an id.
//
// A segment is deleted when none of its messages has a pending recipient and it is no longer the one being
// appended to. Compaction keeps a few long-deferred messages from pinning whole segments: once a closed segment's
// pending records are at most a quarter of it, they are copied forward (with their delivery state, through the
// same group commit) and the segment is deleted. At open, the newest copy of a message wins.
import { crc32 } from 'node:zlib';
import stringify from 'fast-json-stable-stringify';
import type { RecipientStatus, SpoolMessage, SpoolRecipientState } from './types.js';

export const SEGMENT_MAGIC = Buffer.from('TXRSEG1\n');
export const STATE_MAGIC = Buffer.from('TXRSTA1\n');
export const FRAME_BYTES = 8;
export const KIND_MESSAGE = 0x4d; // 'M'
export const SEQ_DIGITS = 16;

/** One recipient in a record: its body size and, in a compaction copy, its delivery state at copy time. */
export interface RecipientMeta {
  recipient: string;
  size: number;
  status?: RecipientStatus;
  attempts?: number;
  at?: number;
  reply?: string | null;
}

export interface MessageMeta {
  v: 1;
  id: string;
  /** Random per enqueue, kept by compaction copies: state records name it, so they never apply to another message that reused the id. */
  uid: string;
  account: string;
  route: string;
  tag: string;
  from: string;
  createdAt: number;
  meta: Record<string, unknown> | null;
  recipients: RecipientMeta[];
}

export type StateRecord =
  | { op: 'complete'; id: string; u: string; i: number; status: 'delivered' | 'failed'; reply: string | null }
  | { op: 'defer'; id: string; u: string; i: number; at: number; attempts: number; reply: string | null };

/** A record: u32 payload length | u32 CRC-32 of the payload | payload. */
export function frame(payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(FRAME_BYTES);
  head.writeUInt32BE(payload.length, 0);
  head.writeUInt32BE(crc32(payload), 4);
  return Buffer.concat([head, payload]);
}

/** The framed record of a message; `states` (compaction copies) carries each recipient's delivery state. */
export function encodeMessage(msg: SpoolMessage, uid: string, states?: readonly SpoolRecipientState[]): Buffer {
  const meta: MessageMeta = {
    v: 1,
    id: msg.id,
    uid,
    account: msg.account,
    route: msg.route,
    tag: msg.tag,
    from: msg.from,
    createdAt: msg.createdAt,
    meta: msg.meta ?? null,
    recipients: msg.recipients.map((r, i) => {
      const s = states?.[i];
      return s
        ? { recipient: r.recipient, size: r.body.length, status: s.status, attempts: s.attempts, at: s.nextAttemptAt, reply: s.reply }
        : { recipient: r.recipient, size: r.body.length };
    }),
  };
  const metaBytes = Buffer.from(stringify(meta), 'utf8');
  const bodiesLength = msg.recipients.reduce((n, r) => n + r.body.length, 0);
  const payloadLength = 5 + metaBytes.length + bodiesLength;
  // One buffer per record: the bodies are copied once, and a batch's writev stays a short list.
  const out = Buffer.allocUnsafe(FRAME_BYTES + payloadLength);
  let pos = FRAME_BYTES;
  out[pos++] = KIND_MESSAGE;
  out.writeUInt32BE(metaBytes.length, pos);
  pos += 4;
  pos += metaBytes.copy(out, pos);
  for (const r of msg.recipients) pos += r.body.copy(out, pos);
  out.writeUInt32BE(payloadLength, 0);
  out.writeUInt32BE(crc32(out.subarray(FRAME_BYTES)), 4);
  return out;
}

/** The framed record of a state change (written beside the segment, never fsynced: see the file comment). */
export function encodeState(rec: StateRecord): Buffer {
  return frame(Buffer.from(stringify(rec), 'utf8'));
}

/** A payload that is intact (its CRC matches) but is not what this code writes. The only error decoding throws. */
export class SpoolRecordError extends Error {
  constructor(reason: string) {
    super(`spool record: ${reason}`);
    this.name = 'SpoolRecordError';
  }
}

/** The meta of a message payload and where its bodies start. Throws SpoolRecordError, nothing else. */
export function decodeMeta(payload: Buffer): { meta: MessageMeta; bodiesAt: number } {
  if (payload.length < 5 || payload[0] !== KIND_MESSAGE) throw new SpoolRecordError('not a message record');
  const metaLength = payload.readUInt32BE(1);
  const bodiesAt = 5 + metaLength;
  if (bodiesAt > payload.length) throw new SpoolRecordError('meta runs past the record');
  let meta: MessageMeta;
  try {
    meta = JSON.parse(payload.toString('utf8', 5, bodiesAt)) as MessageMeta;
  } catch {
    throw new SpoolRecordError('meta is not JSON');
  }
  if (typeof meta !== 'object' || meta === null || typeof meta.id !== 'string' || !Array.isArray(meta.recipients)) {
    throw new SpoolRecordError('meta is not a message');
  }
  let bodies = 0;
  for (const r of meta.recipients as unknown[]) {
    const size = (r as RecipientMeta | null)?.size;
    if (typeof (r as RecipientMeta | null)?.recipient !== 'string' || !Number.isSafeInteger(size) || size! < 0) throw new SpoolRecordError('meta has a malformed recipient');
    bodies += size!;
  }
  if (bodiesAt + bodies !== payload.length) throw new SpoolRecordError('bodies do not fill the record');
  return { meta, bodiesAt };
}

/** The message a payload holds, bodies sliced from it (not copied). Throws SpoolRecordError, nothing else. */
export function decodeMessage(payload: Buffer): SpoolMessage {
  const { meta, bodiesAt } = decodeMeta(payload);
  let pos = bodiesAt;
  const recipients = meta.recipients.map((r) => {
    const body = payload.subarray(pos, pos + r.size);
    pos += r.size;
    return { recipient: r.recipient, body };
  });
  const msg: SpoolMessage = { id: meta.id, account: meta.account, route: meta.route, tag: meta.tag, from: meta.from, createdAt: meta.createdAt, recipients };
  if (meta.meta) msg.meta = meta.meta;
  return msg;
}

/** A state payload. Throws SpoolRecordError, nothing else. */
export function decodeState(payload: Buffer): StateRecord {
  let rec: StateRecord;
  try {
    rec = JSON.parse(payload.toString('utf8')) as StateRecord;
  } catch {
    throw new SpoolRecordError('state is not JSON');
  }
  if (typeof rec !== 'object' || rec === null || (rec.op !== 'complete' && rec.op !== 'defer')) throw new SpoolRecordError('not a state record');
  return rec;
}

/**
 * Splits a log file into its intact records; `validLength` ends at the last intact one. Never throws: a missing
 * or wrong magic gives no records, and the first torn record (short, zero length, wrong CRC) ends the scan.
 */
export function scanRecords(buf: Buffer, magic: Buffer): { records: { offset: number; payload: Buffer }[]; validLength: number } {
  if (buf.length < magic.length || !buf.subarray(0, magic.length).equals(magic)) return { records: [], validLength: 0 };
  const records: { offset: number; payload: Buffer }[] = [];
  let pos = magic.length;
  while (pos + FRAME_BYTES <= buf.length) {
    const length = buf.readUInt32BE(pos);
    const crc = buf.readUInt32BE(pos + 4);
    const end = pos + FRAME_BYTES + length;
    if (length === 0 || end > buf.length) break;
    const payload = buf.subarray(pos + FRAME_BYTES, end);
    if (crc32(payload) !== crc) break;
    records.push({ offset: pos + FRAME_BYTES, payload });
    pos = end;
  }
  return { records, validLength: pos };
}
