// The client's side of replies: turns the bytes a server sends into complete replies (RFC 5321 §4.2).
// A multi-line reply is "ddd-text" lines ending with one "ddd text" line, all with the same code.
import { SmtpProtocolError } from './client-errors.js';
import type { ClientReply } from './reply.js';

export { type ClientReply, formatClientReply, isPositive } from './reply.js';

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/;
/** Longer reply lines are a broken or hostile server (RFC 5321 §4.5.3.1.5 allows 512 octets). */
const MAX_LINE_BYTES = 8192;
/** More lines in one reply than any EHLO response needs. */
const MAX_LINES = 512;
const LF = 0x0a;
const CR = 0x0d;

/** Incremental reply parser: push() bytes, take complete replies from the callback. */
export class ReplyReader {
  private partial: Buffer | null = null;
  private lines: string[] = [];
  private code = 0;

  constructor(private readonly onReply: (reply: ClientReply) => void) {}

  /** Feeds bytes; throws SmtpProtocolError on a malformed reply (the connection is then unusable). */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.partial !== null) {
      buf = Buffer.concat([this.partial, chunk]);
      this.partial = null;
    }
    let start = 0;
    for (;;) {
      const lf = buf.indexOf(LF, start);
      if (lf < 0) break;
      const end = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
      if (end - start > MAX_LINE_BYTES) throw new SmtpProtocolError(`reply line longer than ${MAX_LINE_BYTES} bytes`);
      this.line(buf.toString('utf8', start, end));
      start = lf + 1;
    }
    if (start < buf.length) {
      if (buf.length - start > MAX_LINE_BYTES) throw new SmtpProtocolError(`reply line longer than ${MAX_LINE_BYTES} bytes`);
      this.partial = buf.subarray(start);
    }
  }

  private line(s: string): void {
    const code = parseCode(s);
    if (code === null) throw new SmtpProtocolError(`malformed reply line ${JSON.stringify(s.slice(0, 80))}`);
    if (this.lines.length > 0 && code !== this.code) {
      throw new SmtpProtocolError(`multi-line reply changes code from ${this.code} to ${code}`);
    }
    this.code = code;
    const sep = s.charCodeAt(3);
    this.lines.push(s.length > 4 ? s.slice(4) : '');
    if (this.lines.length > MAX_LINES) throw new SmtpProtocolError(`reply has more than ${MAX_LINES} lines`);
    // "ddd-" continues; "ddd " or a bare "ddd" ends the reply.
    if (sep === 0x2d) return;
    const lines = this.lines;
    this.lines = [];
    const m = ENHANCED.exec(lines[0]!);
    this.onReply({ code, enhanced: m ? `${m[1]}.${m[2]}.${m[3]}` : null, lines });
  }
}

function parseCode(s: string): number | null {
  if (s.length < 3) return null;
  const a = s.charCodeAt(0) - 0x30;
  const b = s.charCodeAt(1) - 0x30;
  const c = s.charCodeAt(2) - 0x30;
  // RFC 5321 §4.2: first digit 2-5, second 0-5, third 0-9.
  if (a < 2 || a > 5 || b < 0 || b > 5 || c < 0 || c > 9) return null;
  if (s.length > 3 && s[3] !== ' ' && s[3] !== '-') return null;
  return a * 100 + b * 10 + c;
}
