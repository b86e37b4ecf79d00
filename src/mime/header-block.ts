// One header block (the message's or a part's), collected line by line as it streams in (RFC 5322 §2.2).
import { decodeRawHeaderBytes } from './charset.js';
import { MimeLimitError, type MimeLimits } from './limits.js';

/** What a complete line of a header block turned out to be. */
export const enum HeaderLineKind {
  Field,
  Continuation,
  /** The empty line that ends the block. */
  End,
  /** Not a header line at all: the block ended without its empty line and this line is body. */
  NotHeader,
}

/** A field of interest, as byte offsets of its value (after the colon) in the block buffer. */
interface FieldRange {
  name: string;
  start: number;
  end: number;
}

/** Names whose values anyone asks for; other fields are counted and skipped. */
const WANTED = new Set([
  'content-type',
  'content-disposition',
  'content-transfer-encoding',
  'content-id',
  'from',
  'to',
  'subject',
  'reply-to',
  'x-transactional-tag',
  'x-transactional-route',
  'x-transactional-template',
  'x-transactional-variables',
  'x-transactional-track',
  'x-auth-apikey',
]);

/** Cheap prefilters (length, first letter) so most unwanted fields are skipped without making a string. */
const WANTED_LENGTHS = new Uint8Array(64);
const WANTED_FIRST = new Uint8Array(256);
for (const name of WANTED) {
  WANTED_LENGTHS[name.length] = 1;
  WANTED_FIRST[name.charCodeAt(0)] = 1;
}

export class HeaderBlock {
  private buf: Buffer;
  private len = 0;
  private count = 0;
  private fields: FieldRange[] = [];
  /** The field continuation lines extend, or null when the last field was not wanted. */
  private last: FieldRange | null = null;
  private lastWasField = false;

  /** `keepAll`: every field is recorded (for `entries()`), not only the WANTED ones. */
  constructor(
    private readonly limits: Readonly<MimeLimits>,
    private readonly keepAll = false,
  ) {
    this.buf = Buffer.allocUnsafe(512);
  }

  /** Empties the block for the next entity's headers, keeping its buffer (one allocation per message, not per part). */
  reset(): void {
    this.len = 0;
    this.count = 0;
    this.fields.length = 0;
    this.last = null;
    this.lastWasField = false;
  }

  get byteLength(): number {
    return this.len;
  }

  /** Appends bytes of the block (a line, or part of one); enforces maxHeaderBytes. */
  append(src: Buffer, from: number, to: number): void {
    const add = to - from;
    if (this.len + add > this.limits.maxHeaderBytes) {
      throw new MimeLimitError('maxHeaderBytes', this.limits.maxHeaderBytes, 'header block');
    }
    if (this.len + add > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + add));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    if (add < 96) {
      // Header lines are short: a plain loop beats the native copy's call overhead.
      const dst = this.buf;
      let o = this.len;
      for (let i = from; i < to; i++) dst[o++] = src[i]!;
    } else src.copy(this.buf, this.len, from, to);
    this.len += add;
  }

  /** Classifies the complete line at [start, len) of the block (it ends with LF, or is the last line). */
  classifyLine(start: number): HeaderLineKind {
    const b = this.buf;
    let end = this.len;
    if (end > start && b[end - 1] === 0x0a) end--;
    if (end > start && b[end - 1] === 0x0d) end--;
    if (end === start) return HeaderLineKind.End;
    const first = b[start]!;
    if (first === 0x20 || first === 0x09) {
      if (!this.lastWasField) return HeaderLineKind.NotHeader;
      if (this.last !== null) this.last.end = this.len;
      return HeaderLineKind.Continuation;
    }
    // field-name = 1*(printable US-ASCII except ":"), RFC 5322 §3.6.8; obsolete whitespace before ":" allowed.
    let i = start;
    while (i < end) {
      const c = b[i]!;
      if (c === 0x3a || c <= 0x20 || c >= 0x7f) break;
      i++;
    }
    const nameEnd = i;
    while (i < end && (b[i] === 0x20 || b[i] === 0x09)) i++;
    if (nameEnd === start || i >= end || b[i] !== 0x3a) return HeaderLineKind.NotHeader;
    this.count++;
    if (this.count > this.limits.maxHeaderCount) {
      throw new MimeLimitError('maxHeaderCount', this.limits.maxHeaderCount, 'header field count');
    }
    this.lastWasField = true;
    this.last = null;
    const nameLen = nameEnd - start;
    if (this.keepAll) {
      this.last = { name: b.toString('latin1', start, nameEnd).toLowerCase(), start: i + 1, end: this.len };
      this.fields.push(this.last);
    } else if (nameLen < 64 && WANTED_LENGTHS[nameLen] === 1 && WANTED_FIRST[b[start]! | 0x20] === 1) {
      const name = b.toString('latin1', start, nameEnd).toLowerCase();
      if (WANTED.has(name)) {
        this.last = { name, start: i + 1, end: this.len };
        this.fields.push(this.last);
      }
    }
    return HeaderLineKind.Field;
  }

  /** The line at `start` begins with "--" (it may be a multipart delimiter). */
  startsWithDashes(start: number): boolean {
    return this.len - start >= 2 && this.buf[start] === 0x2d && this.buf[start + 1] === 0x2d;
  }

  /** The (complete or final) line starting at `start`, without copying. */
  peek(start: number): Buffer {
    return this.buf.subarray(start, this.len);
  }

  /** Drops the last line from the block (it was body, not header). Returns its bytes. */
  takeLastLine(start: number): Buffer {
    const line = Buffer.from(this.buf.subarray(start, this.len));
    this.len = start;
    return line;
  }

  /** The first field of that name, unfolded and decoded to text (RFC 6532 raw UTF-8 allowed), or null. */
  get(name: string): string | null {
    for (const f of this.fields) if (f.name === name) return this.unfold(f);
    return null;
  }

  /** Every recorded field in order, as [lower-cased name, unfolded value] (all fields only when built with keepAll). */
  entries(): Array<[string, string]> {
    return this.fields.map((f) => [f.name, this.unfold(f)]);
  }

  has(name: string): boolean {
    for (const f of this.fields) if (f.name === name) return true;
    return false;
  }

  private unfold(f: FieldRange): string {
    // RFC 5322 §2.2.3: unfolding removes each CRLF that is followed by whitespace.
    const b = this.buf;
    let end = f.end;
    if (end > f.start && b[end - 1] === 0x0a) end--;
    if (end > f.start && b[end - 1] === 0x0d) end--;
    let ascii = true;
    let folded = false;
    for (let i = f.start; i < end; i++) {
      const c = b[i]!;
      if (c >= 0x80) ascii = false;
      else if (c === 0x0a) folded = true;
    }
    if (!folded) {
      // The common case: one line; no copies.
      return (ascii ? b.toString('latin1', f.start, end) : decodeRawHeaderBytes(b.subarray(f.start, end))).trim();
    }
    const parts: Buffer[] = [];
    let s = f.start;
    while (s < end) {
      let nl = b.indexOf(0x0a, s);
      if (nl < 0 || nl >= end) nl = end;
      let e = nl;
      if (e > s && b[e - 1] === 0x0d) e--;
      parts.push(b.subarray(s, e));
      s = nl + 1;
    }
    return decodeRawHeaderBytes(Buffer.concat(parts)).trim();
  }
}
