// The DATA body reader (RFC 5321 §4.1.1.4, §4.5.2): a small state machine in the spirit of chasquid's.
// It hands out slices of the input Buffer (no copies), removes dot-stuffing and ends only at CRLF.CRLF, so
// no "end of data" can be smuggled (CVE-2023-51764/5/6). Two line-ending modes, per listener:
// - strict (chasquid, KumoMTA's default): a bare CR or a bare LF refuses the message;
// - normalize (Postfix 3.9's smtpd_forbid_bare_newline = normalize): a bare LF ends a line as CRLF would, but
//   only <CR><LF>.<CR><LF> ends the data: a "." line that starts after a bare LF or ends in one is content.
//   A bare CR is still refused.

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
/** feed() result: a bare CR (not followed by LF) was found; the message must be refused with 521 5.5.2. */
export const DATA_BARE_CR = -2;
/** feed() result, strict mode only: a bare LF was found; the message must be refused with 521 5.5.2. */
export const DATA_BARE_LF = -3;

/** How a listener treats a line that ends in LF alone (SPEC §2). */
export type LineEndings = 'normalize' | 'strict';

/** A "." line that turned out to be content (normalize mode) is given back with its dot. */
const DOT_LINE = Buffer.from('.');
const DOT_CR = Buffer.from('.\r');

export class DataReader {
  private state = ReaderState.LineStart;
  /** Whether the current line started after a CRLF (or is the first line): only then can "." end the data. */
  private afterCrlf = true;
  private readonly normalize: boolean;

  /** `emit` receives body pieces: slices of the fed buffer, valid as long as the caller keeps that buffer. */
  constructor(
    private readonly emit: (chunk: Buffer) => void,
    lineEndings: LineEndings = 'strict',
  ) {
    this.normalize = lineEndings === 'normalize';
  }

  /** Prepares for a new message. */
  reset(): void {
    this.state = ReaderState.LineStart;
    this.afterCrlf = true;
  }

  /**
   * Consumes buf[start..]. Returns the index just past the terminating CRLF.CRLF (the rest of `buf` is
   * commands), DATA_INCOMPLETE when all of it was body, DATA_BARE_CR or DATA_BARE_LF.
   */
  feed(buf: Buffer, start: number): number {
    const end = buf.length;
    const normalize = this.normalize;
    let state = this.state;
    let afterCrlf = this.afterCrlf;
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
              return DATA_BARE_CR; // CR followed by something other than LF
            }
            break;
          }
          // The only CR before this LF may be the byte right before it; none at all is a bare LF.
          if (nextCr === lf - 1) afterCrlf = true;
          else if (nextCr < lf) return DATA_BARE_CR;
          else if (normalize) afterCrlf = false;
          else return DATA_BARE_LF;
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
            if (!normalize) return DATA_BARE_LF;
            i++; // an empty line ended by a bare LF
            afterCrlf = false;
          } else {
            state = ReaderState.Text;
          }
          break;
        }
        case ReaderState.Cr:
          if (buf[i] !== LF) return DATA_BARE_CR;
          i++;
          afterCrlf = true;
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
            if (!normalize) return DATA_BARE_LF;
            // ".<LF>" is content, never an end of data: the dot goes back, the LF follows in the next slice.
            this.emit(DOT_LINE);
            segStart = i;
            i++;
            afterCrlf = false;
            state = ReaderState.LineStart;
          } else {
            state = ReaderState.Text;
          }
          break;
        }
        case ReaderState.DotCr:
          if (buf[i] !== LF) return DATA_BARE_CR;
          if (!afterCrlf) {
            // "<LF>.<CR><LF>": content in normalize mode (strict mode never gets here after a bare LF).
            this.emit(DOT_CR);
            segStart = i;
            i++;
            afterCrlf = true;
            state = ReaderState.LineStart;
            break;
          }
          this.state = ReaderState.LineStart;
          this.afterCrlf = true;
          return i + 1;
      }
    }
    if (end > segStart) this.emit(buf.subarray(segStart, end));
    this.state = state;
    this.afterCrlf = afterCrlf;
    return DATA_INCOMPLETE;
  }
}

/**
 * Checks BDAT content (RFC 3030) for bare CR (and, in strict mode, bare LF) across chunk boundaries. BDAT has
 * no dot-stuffing and ends by byte count, but the relay holds it to the same line-ending rule as DATA.
 */
export class LineEndingCheck {
  private pendingCr = false;
  private readonly normalize: boolean;

  constructor(lineEndings: LineEndings = 'strict') {
    this.normalize = lineEndings === 'normalize';
  }

  reset(): void {
    this.pendingCr = false;
  }

  /** False when buf[start, end) (following what was checked before) holds a refused line ending. */
  check(buf: Buffer, start: number, end: number): boolean {
    let i = start;
    if (i >= end) return true;
    if (this.pendingCr) {
      if (buf[i] !== LF) return false;
      this.pendingCr = false;
      i++;
    }
    if (this.normalize) {
      // Only CRs matter: each must be followed by LF.
      for (let cr = buf.indexOf(CR, i); cr >= 0 && cr < end; cr = buf.indexOf(CR, cr + 1)) {
        if (cr === end - 1) {
          this.pendingCr = true;
          return true;
        }
        if (buf[cr + 1] !== LF) return false;
      }
      return true;
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
