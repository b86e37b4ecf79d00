// Visiting every entity of a message (for readers that need more than the relay's kept body, such as delivery
// reports): each entity's complete header fields and its transfer-decoded body, cut at a size limit so memory
// stays bounded whatever the message holds.
import { HeaderBlock, HeaderLineKind } from './header-block.js';
import { resolveLimits, type MimeLimits } from './limits.js';

/** One entity of the message, in document order: the message itself, each multipart, each leaf part. */
export interface VisitedPart {
  /** Open multiparts around this entity: 0 for the message itself, 1 for its parts, ... */
  depth: number;
  /** Lower-cased media type ("text/plain" when absent or invalid, RFC 2045 §5.2). */
  type: string;
  /** Content-Type parameters, lower-cased names. */
  params: ReadonlyMap<string, string>;
  /** Every header field in order: [lower-cased name, unfolded value as sent (RFC 2047 words not decoded)]. */
  headers: ReadonlyArray<readonly [string, string]>;
  /**
   * The transfer-decoded body, at most `maxBodyBytes`. Empty for a multipart, whose parts are visited on their own;
   * but a multipart in which no delimiter of its own is ever found has no parts, and its text is its body (Python's
   * email reads it so: the payload is that text, with a StartBoundaryNotFoundDefect).
   */
  body: Buffer;
  /** The body was longer than `maxBodyBytes` and was cut there. */
  truncated: boolean;
}

/**
 * Given to MessageParser to see every entity, in document order; `onPart` is called as each one ends (a multipart: at
 * its first delimiter, before its parts; one without any: when it ends, with its preamble as body).
 */
export interface PartVisitor {
  /** Decoded bytes kept per part; the rest is counted but dropped. */
  maxBodyBytes: number;
  onPart(part: VisitedPart): void;
}

/** The first value of the field `name` (lower case) in `headers`, or null. */
export function headerValue(headers: ReadonlyArray<readonly [string, string]>, name: string): string | null {
  for (const [n, v] of headers) if (n === name) return v;
  return null;
}

/**
 * The header block at the start of `bytes` (an attached message, a text/rfc822-headers part, a
 * message/delivery-status group), as [lower-cased name, unfolded value] in order. Stops at the empty line, at
 * the first line that is not a header line, or at the end; never throws: past the limits it returns what it has.
 */
export function parseHeaderFields(bytes: Buffer, limits?: Partial<MimeLimits>): Array<[string, string]> {
  const block = new HeaderBlock(resolveLimits(limits), true);
  let pos = 0;
  try {
    while (pos < bytes.length) {
      const nl = bytes.indexOf(0x0a, pos);
      const end = nl < 0 ? bytes.length : nl + 1;
      const start = block.byteLength;
      block.append(bytes, pos, end);
      const kind = block.classifyLine(start);
      if (kind === HeaderLineKind.End || kind === HeaderLineKind.NotHeader) {
        if (kind === HeaderLineKind.NotHeader) block.takeLastLine(start);
        break;
      }
      pos = end;
    }
  } catch {
    // A limit passed: the fields read so far are what the caller gets.
  }
  return block.entries();
}
