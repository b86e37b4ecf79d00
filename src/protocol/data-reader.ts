// The DATA body reader (RFC 5321 §4.1.1.4, §4.5.2): a small state machine in the spirit of chasquid's.
// It hands out slices of the input Buffer (no copies), removes dot-stuffing, ends only at CRLF.CRLF,
// and refuses any bare CR or bare LF, so no "end of data" can be smuggled (CVE-2023-51764/5/6).

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** Where in a line the reader stands between bytes. */
const enum ReaderState {
  /** At the first byte of a line (also right after DATA's 354). */
  LineStart,
  /** Inside a line. */
  Text,
  /** A CR was read; only LF may follow. */
  Cr,
  /** A line started with '.', which was dropped (dot-stuffing or the terminator). */
  Dot,
  /** ".<CR>" at line start: LF ends the data. */
  DotCr,
}

/** feed() result: more input is needed. */
export const DATA_INCOMPLETE = -1;
/** feed() result: a bare CR or LF was found; the message must be refused with 521 5.5.2. */
export const DATA_BARE_LINE_ENDING = -2;

export class DataReader {
  private state = ReaderState.LineStart;

  /** `emit` receives body pieces: slices of the fed buffer, valid as long as the caller keeps that buffer. */
  constructor(private readonly emit: (chunk: Buffer) => void) {}

  /** Prepares for a new message. */
  reset(): void {
    this.state = ReaderState.LineStart;
  }

  /**
   * Consumes buf[start..]. Returns the index just past the terminating CRLF.CRLF (the rest of `buf` is
   * commands), DATA_INCOMPLETE when all of it was body, or DATA_BARE_LINE_ENDING.
   */
  feed(buf: Buffer, start: number): number {
    const end = buf.length;
    let state = this.state;
    let i = start;
    let segStart = start;
    // Position of the next CR at or after i (end when none), so each line costs two indexOf calls at most.
    let nextCr = -1;
    while (i < end) {
      switch (state) {
        case ReaderState.Text: {
          if (nextCr < i) {
            nextCr = buf.indexOf(CR, i);
            if (nextCr < 0) nextCr = end;
          }
          const lf = buf.indexOf(LF, i);
          if (lf < 0) {
            if (nextCr === end) {
              i = end;
            } else if (nextCr === end - 1) {
              state = ReaderState.Cr;
              i = end;
            } else {
              return DATA_BARE_LINE_ENDING; // CR followed by something other than LF
            }
            break;
          }
          // The only CR before this LF must be the byte right before it.
          if (nextCr !== lf - 1) return DATA_BARE_LINE_ENDING;
          i = lf + 1;
          state = ReaderState.LineStart;
          break;
        }
        case ReaderState.LineStart: {
          const b = buf[i]!;
          if (b === DOT) {
            if (i > segStart) this.emit(buf.subarray(segStart, i));
            i++;
            segStart = i;
            state = ReaderState.Dot;
          } else if (b === CR) {
            i++;
            state = ReaderState.Cr;
          } else if (b === LF) {
            return DATA_BARE_LINE_ENDING;
          } else {
            state = ReaderState.Text;
          }
          break;
        }
        case ReaderState.Cr:
          if (buf[i] !== LF) return DATA_BARE_LINE_ENDING;
          i++;
          state = ReaderState.LineStart;
          break;
        case ReaderState.Dot: {
          const b = buf[i]!;
          if (b === CR) {
            // Held back: ".<CR>" is either the terminator or a bare CR, never body.
            i++;
            segStart = i;
            state = ReaderState.DotCr;
          } else if (b === LF) {
            return DATA_BARE_LINE_ENDING;
          } else {
            state = ReaderState.Text;
          }
          break;
        }
        case ReaderState.DotCr:
          if (buf[i] !== LF) return DATA_BARE_LINE_ENDING;
          this.state = ReaderState.LineStart;
          return i + 1;
      }
    }
    if (end > segStart) this.emit(buf.subarray(segStart, end));
    this.state = state;
    return DATA_INCOMPLETE;
  }
}

/**
 * Checks BDAT content (RFC 3030) for bare CR or LF across chunk boundaries. BDAT has no dot-stuffing and
 * ends by byte count, but the relay holds it to the same CRLF rule as DATA (see docs/protocol.md).
 */
export class LineEndingCheck {
  private pendingCr = false;

  reset(): void {
    this.pendingCr = false;
  }

  /** False when buf[start, end) (following what was checked before) holds a bare CR or LF. */
  check(buf: Buffer, start: number, end: number): boolean {
    let i = start;
    if (i >= end) return true;
    if (this.pendingCr) {
      if (buf[i] !== LF) return false;
      this.pendingCr = false;
      i++;
    }
    let nextCr = -1;
    while (i < end) {
      if (nextCr < i) {
        nextCr = buf.indexOf(CR, i);
        if (nextCr < 0 || nextCr >= end) nextCr = end;
      }
      let lf = buf.indexOf(LF, i);
      if (lf >= end) lf = -1;
      if (lf < 0) {
        if (nextCr === end) return true;
        if (nextCr === end - 1) {
          this.pendingCr = true;
          return true;
        }
        return false;
      }
      if (nextCr !== lf - 1) return false;
      i = lf + 1;
    }
    return true;
  }

  /** True when the content so far ended cleanly (not in the middle of a CRLF). */
  get complete(): boolean {
    return !this.pendingCr;
  }
}
