// Transfer encoding of the outbound HTML (RFC 2045 §6.7, §6.8): quoted-printable or base64, whichever is smaller.

const HEX_UPPER = Buffer.from('0123456789ABCDEF', 'latin1');
const CRLF_LENGTH = 2;

/** Bytes that quoted-printable must escape wherever they are: controls, "=", 8-bit. */
const MUST_ESCAPE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = i === 0x3d || i >= 0x7f || (i < 0x20 && i !== 0x09) ? 1 : 0;
  return t;
})();

export function base64Length(n: number): number {
  const chars = Math.ceil(n / 3) * 4;
  return chars + Math.ceil(chars / 76) * CRLF_LENGTH;
}

/** Exact size of quotedPrintable(bytes) without building it: an upper bound is enough to choose, this is exact. */
export function quotedPrintableLength(bytes: Buffer): number {
  let total = 0;
  let line = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === 0x0d && i + 1 < n && bytes[i + 1] === 0x0a) {
      total += line + CRLF_LENGTH;
      line = 0;
      i++;
      continue;
    }
    let w = MUST_ESCAPE[c] === 1 ? 3 : 1;
    if ((c === 0x20 || c === 0x09) && (i + 1 === n || (bytes[i + 1] === 0x0d && i + 2 < n && bytes[i + 2] === 0x0a))) w = 3;
    if (line + w > 75) {
      total += line + 1 + CRLF_LENGTH; // "=" soft break
      line = 0;
    }
    line += w;
  }
  return total + line;
}

/**
 * Quoted-printable: CRLF in the text is a hard line break; a lone CR or LF is escaped so it reads back exactly;
 * whitespace before a line break is escaped (rule 3); lines stay within 76 characters with "=" soft breaks.
 */
export function quotedPrintable(bytes: Buffer): Buffer {
  const n = bytes.length;
  const out = Buffer.allocUnsafe(quotedPrintableLength(bytes));
  let o = 0;
  let line = 0;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === 0x0d && i + 1 < n && bytes[i + 1] === 0x0a) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      line = 0;
      i++;
      continue;
    }
    let escape = MUST_ESCAPE[c] === 1;
    if ((c === 0x20 || c === 0x09) && (i + 1 === n || (bytes[i + 1] === 0x0d && i + 2 < n && bytes[i + 2] === 0x0a))) escape = true;
    const w = escape ? 3 : 1;
    if (line + w > 75) {
      out[o++] = 0x3d;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      line = 0;
    }
    if (escape) {
      out[o++] = 0x3d;
      out[o++] = HEX_UPPER[c >> 4]!;
      out[o++] = HEX_UPPER[c & 15]!;
    } else out[o++] = c;
    line += w;
  }
  return o === out.length ? out : out.subarray(0, o);
}

/** Base64 in lines of 76 characters, CRLF-terminated except the last (RFC 2045 §6.8). */
export function base64Lines(bytes: Buffer): Buffer {
  const b64 = Buffer.from(bytes.toString('base64'), 'latin1');
  const lines = Math.ceil(b64.length / 76);
  const out = Buffer.allocUnsafe(b64.length + Math.max(0, lines - 1) * CRLF_LENGTH);
  let o = 0;
  for (let s = 0; s < b64.length; s += 76) {
    if (s > 0) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
    }
    o += b64.copy(out, o, s, Math.min(s + 76, b64.length));
  }
  return out;
}
