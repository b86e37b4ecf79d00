// Recognises a multipart delimiter line (RFC 2046 §5.1.1): "--" boundary ["--"] *LWSP CRLF, checked against
// every open boundary, innermost first, so an outer delimiter also ends the parts nested inside it.

export interface BoundaryMatch {
  /** Index in the stack of open delimiters. */
  level: number;
  /** The close delimiter ("--boundary--"). */
  close: boolean;
  /** Offset just after the line's line break. */
  lineEnd: number;
}

/** The line may still become a delimiter once more bytes arrive. */
export const NEED_MORE = 1;

/** Trailing whitespace allowed after a delimiter before the line is no longer taken as one. */
const MAX_TRAILING_WSP = 256;

/**
 * Tests the line starting at `p` (which is at a line start) against `delimiters` ("--boundary" each, outermost first).
 * `final`: no more bytes will come, so the end of `buf` ends the line.
 */
export function matchBoundaryLine(
  buf: Buffer,
  p: number,
  delimiters: readonly Buffer[],
  final: boolean,
): BoundaryMatch | typeof NEED_MORE | null {
  const len = buf.length;
  let needMore = false;
  for (let level = delimiters.length - 1; level >= 0; level--) {
    const d = delimiters[level]!;
    const avail = len - p;
    if (avail < d.length) {
      if (!final && buf.compare(d, 0, avail, p, len) === 0) needMore = true;
      continue;
    }
    if (buf.compare(d, 0, d.length, p, p + d.length) !== 0) continue;
    let q = p + d.length;
    let close = false;
    if (q < len && buf[q] === 0x2d) {
      if (q + 1 >= len) {
        if (!final) needMore = true;
        continue;
      }
      if (buf[q + 1] === 0x2d) {
        close = true;
        q += 2;
      }
    }
    const wspStart = q;
    while (q < len && (buf[q] === 0x20 || buf[q] === 0x09) && q - wspStart <= MAX_TRAILING_WSP) q++;
    if (q - wspStart > MAX_TRAILING_WSP) continue;
    if (q >= len) {
      if (final) return { level, close, lineEnd: len };
      needMore = true;
      continue;
    }
    const c = buf[q];
    if (c === 0x0a) return { level, close, lineEnd: q + 1 };
    if (c === 0x0d) {
      if (q + 1 < len) return { level, close, lineEnd: buf[q + 1] === 0x0a ? q + 2 : q + 1 };
      if (final) return { level, close, lineEnd: len };
      needMore = true;
      continue;
    }
    // Something else follows: not this delimiter (perhaps a longer outer one that shares the prefix).
  }
  return needMore ? NEED_MORE : null;
}
