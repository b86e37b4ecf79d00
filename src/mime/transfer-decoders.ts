// Streaming Content-Transfer-Encoding decoders (RFC 2045 §6), used only for the parts that are kept.
import { hexValue } from './encoded-words.js';

export interface TransferDecoder {
  /** Decodes a piece of the body; the returned bytes are the caller's to keep. */
  write(chunk: Buffer): Buffer;
  /** Bytes held back at the end of the body. */
  end(): Buffer;
}

const EMPTY = Buffer.alloc(0);

/** 7bit, 8bit, binary and anything unknown: the bytes as they are (copied, since chunks belong to the writer). */
export class IdentityDecoder implements TransferDecoder {
  write(chunk: Buffer): Buffer {
    return Buffer.from(chunk);
  }
  end(): Buffer {
    return EMPTY;
  }
}

const B64: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) t[abc.charCodeAt(i)] = i;
  t[0x2d] = 62; // "-" and "_": the URL-safe alphabet, which some senders use
  t[0x5f] = 63;
  return t;
})();

/** Base64 (RFC 2045 §6.8): characters outside the alphabet are ignored, "=" ends the data. */
export class Base64Decoder implements TransferDecoder {
  private acc = 0;
  private bits = 0;
  private done = false;

  write(chunk: Buffer): Buffer {
    const out = Buffer.allocUnsafe(((chunk.length * 3) >> 2) + 3);
    let n = 0;
    if (this.done) return EMPTY;
    let acc = this.acc;
    let bits = this.bits;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      const v = B64[c]!;
      if (v < 0) {
        if (c === 0x3d) {
          this.done = true; // padding: anything after it is not data
          break;
        }
        continue;
      }
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[n++] = (acc >> bits) & 0xff;
        acc &= (1 << bits) - 1;
      }
    }
    this.acc = acc;
    this.bits = bits;
    return out.subarray(0, n);
  }

  end(): Buffer {
    return EMPTY;
  }
}

function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Quoted-printable (RFC 2045 §6.7): "=XX" bytes, "=" before a line break is a soft break, trailing whitespace dropped. */
export class QuotedPrintableDecoder implements TransferDecoder {
  private held: Buffer = EMPTY;

  write(chunk: Buffer): Buffer {
    const buf = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    // Hold back what the next chunk may change: a partial "=XX" escape or trailing whitespace.
    let keep = buf.length;
    while (keep > 0 && isWsp(buf[keep - 1]!)) keep--;
    if (keep > 0 && buf[keep - 1] === 0x3d) keep--;
    else if (keep > 1 && buf[keep - 2] === 0x3d) keep -= 2;
    if (keep > 0 && buf[keep - 1] === 0x0d) keep--; // "=\r" then "\n": a soft break split in two
    if (keep < buf.length - 4096) keep = buf.length - 4096 > 0 ? buf.length - 4096 : 0; // whitespace floods: bounded
    this.held = keep === buf.length ? EMPTY : Buffer.from(buf.subarray(keep));
    return this.decode(buf, 0, keep, false);
  }

  end(): Buffer {
    const rest = this.held;
    this.held = EMPTY;
    return this.decode(rest, 0, rest.length, true);
  }

  private decode(buf: Buffer, from: number, to: number, final: boolean): Buffer {
    const out = Buffer.allocUnsafe(to - from);
    let n = 0;
    let i = from;
    while (i < to) {
      const c = buf[i]!;
      if (c > 0x20 && c !== 0x3d) {
        // The common case: a literal byte (everything above space but "=").
        out[n++] = c;
        i++;
        continue;
      }
      if (c === 0x3d) {
        // Soft line break: "=" then optional whitespace then CRLF or LF.
        let j = i + 1;
        while (j < to && isWsp(buf[j]!)) j++;
        if (j < to && buf[j] === 0x0a) {
          i = j + 1;
          continue;
        }
        if (j + 1 < to && buf[j] === 0x0d && buf[j + 1] === 0x0a) {
          i = j + 2;
          continue;
        }
        if (j === to && final) {
          i = to; // "=" at the very end: a soft break before end of body
          continue;
        }
        if (i + 2 < to && hexValue(buf[i + 1]!) >= 0 && hexValue(buf[i + 2]!) >= 0) {
          out[n++] = hexValue(buf[i + 1]!) * 16 + hexValue(buf[i + 2]!);
          i += 3;
          continue;
        }
        out[n++] = c; // a stray "=" stays as written
        i++;
        continue;
      }
      if (isWsp(c)) {
        // Trailing whitespace before a line break was added in transport (rule 3): drop it.
        let j = i + 1;
        while (j < to && isWsp(buf[j]!)) j++;
        if (j === to ? final : buf[j] === 0x0a || (buf[j] === 0x0d && j + 1 < to && buf[j + 1] === 0x0a)) {
          i = j;
          continue;
        }
        while (i < j) out[n++] = buf[i++]!;
        continue;
      }
      out[n++] = c;
      i++;
    }
    return out.subarray(0, n);
  }
}

export function transferDecoderFor(cte: string | null): TransferDecoder {
  switch (cte) {
    case 'base64':
      return new Base64Decoder();
    case 'quoted-printable':
      return new QuotedPrintableDecoder();
    default:
      return new IdentityDecoder();
  }
}
