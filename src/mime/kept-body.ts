// The decoded bytes of a part that may become the body, bounded by maxHtmlBytes.
import { decodeCharset, decodeRawHeaderBytes, normaliseCharset } from './charset.js';
import type { SelectionScope } from './body-selection.js';

export class KeptBody {
  private chunks: Buffer[] = [];
  bytes = 0;
  /** More than the limit arrived; the content was let go. */
  overflow = false;
  /** No longer wanted (a better body was found); further bytes are not decoded. */
  released = false;

  constructor(
    /** Index of the part in the parser's list of leaf parts. */
    readonly leafIndex: number,
    readonly charset: string | null,
    readonly provisionalOf: SelectionScope | null,
    private readonly maxBytes: number,
  ) {}

  /** Adds decoded bytes; returns false when this pushed the body past the limit. */
  append(bytes: Buffer): boolean {
    if (this.overflow || this.released || bytes.length === 0) return !this.overflow;
    this.bytes += bytes.length;
    if (this.bytes > this.maxBytes) {
      this.overflow = true;
      this.chunks = [];
      return false;
    }
    this.chunks.push(bytes);
    return true;
  }

  release(): void {
    this.released = true;
    this.chunks = [];
  }

  /** The body as text. Without a charset (or with us-ascii over 8-bit bytes): UTF-8 if valid, else windows-1252. */
  toText(): string {
    const bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const cs = normaliseCharset(this.charset);
    if (cs === 'us-ascii' || cs === 'ascii') return decodeRawHeaderBytes(bytes);
    return decodeCharset(bytes, cs);
  }
}
