// Push parser: fed the message in chunks as DATA arrives, it keeps only the headers and the body the relay
// needs. Dropped parts are scanned for boundaries (Buffer.indexOf) and counted, never decoded; memory stays
// bounded by the kept body plus the limits, whatever the size of the attachments.
import { parseAddressList } from './addresses.js';
import { matchBoundaryLine, NEED_MORE, type BoundaryMatch } from './boundary-line.js';
import {
  childEligibility,
  normaliseContentId,
  ROOT_ELIGIBILITY,
  type Eligibility,
  type SelectionScope,
} from './body-selection.js';
import { decodeEncodedWords } from './encoded-words.js';
import { HeaderBlock, HeaderLineKind } from './header-block.js';
import { parseHeaderValueWithParams, withoutComments } from './header-params.js';
import { KeptBody } from './kept-body.js';
import { MimeLimitError, resolveLimits, type MimeLimits } from './limits.js';
import type { DroppedPart, KeptHeaders, ParsedMessage } from './parsed-message.js';
import type { PartVisitor } from './part-visitor.js';
import { transferDecoderFor, type TransferDecoder } from './transfer-decoders.js';

const NL_DASH_DASH = Buffer.from('\n--', 'latin1');
const EMPTY = Buffer.alloc(0);
const FROM_ = Buffer.from('From ', 'latin1');
/** Largest carry + chunk joined in the reused scratch buffer; bigger writes are joined in a fresh one. */
const MAX_SCRATCH = 256 * 1024;

const enum State {
  Headers,
  Body,
}

/** An open multipart. */
interface Frame extends SelectionScope {
  delimiter: Buffer;
  children: number;
  /** With a visitor: the multipart itself, shown at its first delimiter, or with its preamble if it has none. */
  visit: FrameVisit | null;
}

/** A multipart waiting to be shown to the PartVisitor, with its preamble so far. */
interface FrameVisit {
  depth: number;
  type: string;
  params: ReadonlyMap<string, string>;
  headers: ReadonlyArray<readonly [string, string]>;
  chunks: Buffer[];
  bytes: number;
  truncated: boolean;
}

/** The leaf part whose body is streaming now. */
interface Leaf {
  record: DroppedPart;
  /** The part had no header fields at all (e.g. between two adjacent delimiters). */
  bare: boolean;
  decoder: TransferDecoder | null;
  kept: KeptBody | null;
  /** What the PartVisitor gets when the leaf ends, or null without a visitor. */
  visit: LeafVisit | null;
}

/** A leaf's body collected for the PartVisitor. */
interface LeafVisit {
  depth: number;
  type: string;
  params: ReadonlyMap<string, string>;
  headers: ReadonlyArray<readonly [string, string]>;
  decoder: TransferDecoder;
  chunks: Buffer[];
  bytes: number;
  truncated: boolean;
}

function emptyHeaders(): KeptHeaders {
  return { from: null, to: [], subject: null, replyTo: null, tag: null, route: null, template: null, variables: null, track: null, apiKey: null };
}

export class MessageParser {
  readonly limits: Readonly<MimeLimits>;
  private state: State = State.Headers;
  private header: HeaderBlock;
  /** Offset in `header` where the line being received starts. */
  private lineStart = 0;
  private firstLine = true;
  /** Parent of the entity whose headers are being read (null: the message itself). */
  private entityParent: Frame | null = null;
  private entityIndex = 0;
  private frames: Frame[] = [];
  private delimiters: Buffer[] = [];
  private leaf: Leaf | null = null;
  /** The body scan is at the start of a line, so a delimiter may begin right here. */
  private atLineStart = false;
  /** Bytes not yet consumed: a possible delimiter line cut by the chunk end, or a header line that was body. */
  private carry: Buffer | null = null;
  private html: KeptBody | null = null;
  /** The HTML body found is final (not a provisional first part of a related). */
  private htmlFinal = false;
  private text: KeptBody | null = null;
  private leaves: DroppedPart[] = [];
  private entities = 0;
  private headers: KeptHeaders = emptyHeaders();
  private failure: MimeLimitError | null = null;
  private scratch: Buffer = EMPTY;
  private ended = false;

  /** `visitor`: also shows every entity with all its header fields and decoded body (see part-visitor.ts). */
  constructor(
    options?: Partial<MimeLimits>,
    private readonly visitor: PartVisitor | null = null,
  ) {
    this.limits = resolveLimits(options);
    this.header = new HeaderBlock(this.limits, visitor !== null);
  }

  /** The message's kept headers once its header block is complete (before the body has arrived), else null. */
  get messageHeaders(): KeptHeaders | null {
    return this.entities > 0 ? this.headers : null;
  }

  /** Feeds the next piece of the message. Throws MimeLimitError when a limit is passed (and on every call after). */
  write(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    if (this.ended) throw new Error('MessageParser.write after end()');
    if (chunk.length === 0) return;
    this.guard(() => this.process(chunk, false));
  }

  /** The message is complete: returns what was kept. Throws MimeLimitError when a limit was passed. */
  end(): ParsedMessage {
    if (this.failure) throw this.failure;
    if (this.ended) throw new Error('MessageParser.end called twice');
    this.ended = true;
    return this.guard(() => this.finish());
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof MimeLimitError) this.failure = e;
      this.leaf = null;
      this.html = null;
      this.text = null;
      throw e;
    }
  }

  private process(chunk: Buffer, final: boolean): void {
    let buf = chunk;
    if (this.carry !== null) {
      buf = chunk.length === 0 ? this.carry : this.joinCarry(this.carry, chunk);
      this.carry = null;
    }
    let pos = 0;
    while (pos < buf.length) {
      if (this.state === State.Headers) pos = this.headerStep(buf, pos, final);
      else pos = this.bodyStep(buf, pos, final);
      if (this.carry !== null && pos < buf.length) {
        // A header line turned out to be body: it goes before the rest of this chunk.
        buf = Buffer.concat([this.carry, buf.subarray(pos)]);
        this.carry = null;
        pos = 0;
      }
    }
  }

  /**
   * carry + chunk in one buffer. Ordinary chunks go through a reused scratch buffer, so streaming a large
   * attachment allocates nothing per chunk; nothing keeps a view of it (kept bytes are always copied).
   */
  private joinCarry(carry: Buffer, chunk: Buffer): Buffer {
    const need = carry.length + chunk.length;
    if (need > MAX_SCRATCH) return Buffer.concat([carry, chunk]);
    if (this.scratch.length < need) this.scratch = Buffer.allocUnsafeSlow(Math.min(MAX_SCRATCH, Math.max(need, this.scratch.length * 2, 4096)));
    carry.copy(this.scratch, 0);
    chunk.copy(this.scratch, carry.length);
    return this.scratch.subarray(0, need);
  }

  private finish(): ParsedMessage {
    for (;;) {
      this.process(EMPTY, true);
      if (this.state !== State.Headers) break;
      if (this.header.byteLength > this.lineStart) {
        this.completeHeaderLine();
        continue;
      }
      this.finishHeaders();
      this.state = State.Body;
      break;
    }
    this.endLeaf();
    if (this.visitor !== null) this.closeFramesFrom(0);
    const html = this.html;
    const text = this.text;
    let textOut: string | null = null;
    if (html === null && text !== null) {
      if (text.overflow) throw new MimeLimitError('maxHtmlBytes', this.limits.maxHtmlBytes, 'text/plain body');
      textOut = text.toText();
    }
    const dropped = html === null ? this.leaves : this.leaves.filter((_, i) => i !== html.leafIndex);
    return { html: html === null ? null : html.toText(), text: textOut, headers: this.headers, dropped };
  }

  // ---- header blocks ----

  private headerStep(buf: Buffer, pos: number, final: boolean): number {
    while (pos < buf.length) {
      const nl = buf.indexOf(0x0a, pos);
      const end = nl < 0 ? buf.length : nl + 1;
      this.header.append(buf, pos, end);
      pos = end;
      if (nl < 0 && !final) return pos;
      this.completeHeaderLine();
      if (this.state !== State.Headers) return pos;
    }
    return pos;
  }

  /** The line at lineStart is complete: a field, a continuation, the end of the block, or body. */
  private completeHeaderLine(): void {
    const start = this.lineStart;
    if (this.firstLine) {
      this.firstLine = false;
      const line = this.header.peek(start);
      if (this.entityParent === null && line.length >= 5 && line.compare(FROM_, 0, 5, 0, 5) === 0) {
        // An mbox "From " separator before the first header: not part of the message.
        this.header.takeLastLine(start);
        return;
      }
    }
    if (this.delimiters.length > 0 && this.header.startsWithDashes(start)) {
      const m = matchBoundaryLine(this.header.peek(start), 0, this.delimiters, true);
      if (m !== null && m !== NEED_MORE) {
        // A delimiter inside a header block: the part had no empty line and an empty body.
        this.carry = this.header.takeLastLine(start);
        this.enterBody();
        return;
      }
    }
    const kind = this.header.classifyLine(start);
    if (kind === HeaderLineKind.Field || kind === HeaderLineKind.Continuation) {
      this.lineStart = this.header.byteLength;
      return;
    }
    if (kind === HeaderLineKind.NotHeader) this.carry = this.header.takeLastLine(start);
    this.enterBody();
  }

  private enterBody(): void {
    this.finishHeaders();
    this.state = State.Body;
    this.atLineStart = true;
  }

  private finishHeaders(): void {
    const h = this.header;
    const parent = this.entityParent;
    this.entities++;
    if (this.entities > this.limits.maxParts) throw new MimeLimitError('maxParts', this.limits.maxParts, 'MIME part count');
    if (parent === null) this.headers = this.keptHeaders(h);

    const ctRaw = h.get('content-type');
    const ct = ctRaw === null ? null : parseHeaderValueWithParams(ctRaw);
    let type = ct?.value ?? '';
    if (!isMediaType(type)) type = parent !== null && parent.subtype === 'digest' ? 'message/rfc822' : 'text/plain'; // RFC 2045 §5.2, RFC 2046 §5.1.5
    const cdRaw = h.get('content-disposition');
    const cd = cdRaw === null ? null : parseHeaderValueWithParams(cdRaw);
    const disposition = cd === null || cd.value === '' ? null : cd.value;
    const cteRaw = h.get('content-transfer-encoding');
    const cte = cteRaw === null ? null : (cteRaw.includes('(') ? withoutComments(cteRaw) : cteRaw).trim().toLowerCase();

    const eligibility: Eligibility =
      parent === null
        ? disposition === 'attachment'
          ? { eligible: false, provisionalOf: null, confirms: null }
          : ROOT_ELIGIBILITY
        : childEligibility(parent, this.entityIndex, normaliseContentId(h.get('content-id')), disposition);

    const bare = h.byteLength === 0;
    const visitHeaders = this.visitor === null ? null : h.entries();
    // Every value needed from this block is a string by now: the block is emptied for the next entity.
    h.reset();
    this.lineStart = 0;

    const boundary = ct?.params.get('boundary');
    if (type.startsWith('multipart/') && boundary) {
      if (this.frames.length + 1 > this.limits.maxDepth) throw new MimeLimitError('maxDepth', this.limits.maxDepth, 'multipart nesting depth');
      const subtype = type.slice(10);
      const frame: Frame = {
        subtype,
        start: subtype === 'related' ? normaliseContentId(ct?.params.get('start')) : null,
        eligibility,
        delimiter: Buffer.from('--' + boundary, 'utf8'),
        children: 0,
        visit:
          this.visitor === null ? null : { depth: this.frames.length, type, params: ct!.params, headers: visitHeaders!, chunks: [], bytes: 0, truncated: false },
      };
      this.frames.push(frame);
      this.delimiters.push(frame.delimiter);
      this.leaf = null; // the preamble
      return;
    }

    const filename = cd?.params.get('filename') ?? ct?.params.get('name') ?? null;
    const record: DroppedPart = { type, disposition, filename: filename === null || filename === '' ? null : filename, size: 0 };
    const leafIndex = this.leaves.length;
    this.leaves.push(record);
    let kept: KeptBody | null = null;
    if (eligibility.eligible && type === 'text/html') {
      const h0 = this.html;
      if (h0 === null || (h0.provisionalOf !== null && h0.provisionalOf === eligibility.confirms)) {
        h0?.release();
        kept = this.html = new KeptBody(leafIndex, ct?.params.get('charset') ?? null, eligibility.provisionalOf, this.limits.maxHtmlBytes);
        if (eligibility.provisionalOf === null) {
          this.htmlFinal = true;
          this.text?.release();
        }
      }
    } else if (eligibility.eligible && type === 'text/plain' && this.text === null && !this.htmlFinal) {
      kept = this.text = new KeptBody(leafIndex, ct?.params.get('charset') ?? null, eligibility.provisionalOf, this.limits.maxHtmlBytes);
    }
    const visit: LeafVisit | null =
      this.visitor === null
        ? null
        : { depth: this.frames.length, type, params: ct?.params ?? new Map(), headers: visitHeaders!, decoder: transferDecoderFor(cte), chunks: [], bytes: 0, truncated: false };
    this.leaf = { record, bare, decoder: kept === null ? null : transferDecoderFor(cte), kept, visit };
  }

  private keptHeaders(h: HeaderBlock): KeptHeaders {
    const text = (name: string): string | null => {
      const v = h.get(name);
      return v === null ? null : decodeEncodedWords(v);
    };
    const from = h.get('from');
    const to = h.get('to');
    const replyTo = h.get('reply-to');
    const apiKey = h.get('x-auth-apikey');
    return {
      from: from === null ? null : (parseAddressList(from)[0] ?? null),
      to: to === null ? [] : parseAddressList(to),
      subject: text('subject'),
      replyTo: replyTo === null ? null : (parseAddressList(replyTo)[0] ?? null),
      tag: text('x-transactional-tag'),
      route: text('x-transactional-route'),
      template: text('x-transactional-template'),
      variables: text('x-transactional-variables'),
      track: text('x-transactional-track'),
      apiKey: apiKey === null ? null : apiKey.trim(),
    };
  }

  // ---- bodies ----

  private bodyStep(buf: Buffer, pos: number, final: boolean): number {
    const len = buf.length;
    if (this.atLineStart) {
      if (this.delimiters.length > 0 && buf[pos] === 0x2d) {
        const m = matchBoundaryLine(buf, pos, this.delimiters, final);
        if (m === NEED_MORE) {
          this.carry = Buffer.from(buf.subarray(pos));
          return len;
        }
        if (m !== null) {
          this.onDelimiter(m);
          return m.lineEnd;
        }
      }
      this.atLineStart = false;
    }
    if (this.delimiters.length === 0) {
      // No open multipart: everything to the end is this entity's body (or the last epilogue).
      this.bodyBytes(buf, pos, len);
      return len;
    }
    let search = pos;
    for (;;) {
      const j = buf.indexOf(NL_DASH_DASH, search);
      if (j < 0) {
        if (final) {
          this.bodyBytes(buf, pos, len);
          return len;
        }
        // Hold back a possible "\r\n-" cut by the chunk end.
        const keepFrom = len - 3 > pos ? len - 3 : pos;
        this.bodyBytes(buf, pos, keepFrom);
        if (keepFrom < len) this.carry = Buffer.from(buf.subarray(keepFrom));
        return len;
      }
      const m = matchBoundaryLine(buf, j + 1, this.delimiters, final);
      if (m === null) {
        search = j + 1;
        continue;
      }
      // The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
      const contentEnd = j > pos && buf[j - 1] === 0x0d ? j - 1 : j;
      this.bodyBytes(buf, pos, contentEnd);
      if (m === NEED_MORE) {
        this.carry = Buffer.from(buf.subarray(contentEnd));
        return len;
      }
      this.onDelimiter(m);
      return m.lineEnd;
    }
  }

  private bodyBytes(buf: Buffer, from: number, to: number): void {
    const leaf = this.leaf;
    if (leaf === null) {
      // A multipart's preamble: kept for the visitor until the multipart's first delimiter shows it has parts.
      const visit = this.frames.length > 0 ? this.frames[this.frames.length - 1]!.visit : null;
      if (visit === null || visit.truncated || to <= from) return;
      const room = this.visitor!.maxBodyBytes - visit.bytes;
      if (to - from > room) visit.truncated = true;
      const kept = Buffer.from(buf.subarray(from, Math.min(to, from + room))); // a copy: `buf` may be the reused scratch
      visit.chunks.push(kept);
      visit.bytes += kept.length;
      return;
    }
    if (to <= from) return;
    leaf.record.size += to - from;
    if (leaf.visit !== null) this.visitBytes(leaf.visit, leaf.visit.decoder.write(buf.subarray(from, to)));
    const kept = leaf.kept;
    if (kept === null || kept.released || kept.overflow) return;
    if (!kept.append(leaf.decoder!.write(buf.subarray(from, to))) && kept === this.html) {
      throw new MimeLimitError('maxHtmlBytes', this.limits.maxHtmlBytes, 'text/html body');
    }
  }

  private visitBytes(visit: LeafVisit, decoded: Buffer): void {
    if (visit.truncated || decoded.length === 0) return;
    const room = this.visitor!.maxBodyBytes - visit.bytes;
    if (decoded.length > room) {
      visit.truncated = true;
      decoded = decoded.subarray(0, Math.max(0, room));
    }
    visit.chunks.push(decoded);
    visit.bytes += decoded.length;
  }

  private endLeaf(): void {
    const leaf = this.leaf;
    if (leaf === null) return;
    this.leaf = null;
    if (leaf.bare && leaf.record.size === 0 && this.entityParent !== null) {
      // Nothing at all between two delimiters (a doubled delimiter line): not a part worth listing.
      this.leaves.pop();
      if (this.text === leaf.kept) this.text = null;
      return;
    }
    const visit = leaf.visit;
    if (visit !== null) {
      this.visitBytes(visit, visit.decoder.end());
      const { depth, type, params, headers, truncated } = visit;
      this.visitor!.onPart({ depth, type, params, headers, body: Buffer.concat(visit.chunks), truncated });
    }
    const kept = leaf.kept;
    if (kept !== null && !kept.released && !kept.overflow) {
      if (!kept.append(leaf.decoder!.end()) && kept === this.html) {
        throw new MimeLimitError('maxHtmlBytes', this.limits.maxHtmlBytes, 'text/html body');
      }
    }
  }

  /**
   * Shows a multipart to the visitor (once). `found`: a delimiter of its own was seen, so its parts follow and its
   * body is empty; otherwise it has no parts and its preamble is its body, as Python's email reads it (its payload
   * is the text, with a StartBoundaryNotFoundDefect).
   */
  private showFrame(frame: Frame, found: boolean): void {
    const visit = frame.visit;
    if (visit === null) return;
    frame.visit = null;
    const { depth, type, params, headers } = visit;
    const body = found || visit.chunks.length === 0 ? EMPTY : Buffer.concat(visit.chunks);
    this.visitor!.onPart({ depth, type, params, headers, body, truncated: !found && visit.truncated });
  }

  /** Frames from `level` up closed without a delimiter of their own: shown with their preambles. */
  private closeFramesFrom(level: number): void {
    for (let i = level; i < this.frames.length; i++) this.showFrame(this.frames[i]!, false);
  }

  private onDelimiter(m: BoundaryMatch): void {
    this.endLeaf();
    // An outer delimiter closes every multipart opened inside it (their close delimiters are missing).
    if (this.visitor !== null) {
      this.closeFramesFrom(m.level + 1);
      this.showFrame(this.frames[m.level]!, true);
    }
    this.frames.length = m.level + 1;
    this.delimiters.length = m.level + 1;
    if (m.close) {
      this.frames.pop();
      this.delimiters.pop();
      this.state = State.Body; // the epilogue: ignored, but still scanned for outer delimiters
      this.atLineStart = true;
      return;
    }
    const frame = this.frames[m.level]!;
    this.entityParent = frame;
    this.entityIndex = frame.children++;
    this.state = State.Headers;
  }
}

/** "type/subtype" with a token on each side (RFC 2045 §5.1). */
function isMediaType(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash <= 0 || slash === s.length - 1) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || (c === 0x2f && i !== slash) || '()<>@,;:\\"[]?='.includes(s[i]!)) return false;
  }
  return true;
}
