// Transfer encoding of the outbound HTML (RFC 2045 §6.7, §6.8): quoted-printable or base64, whichever is smaller.

const HEX_UPPER = Buffer.from('0123456789ABCDEF', 'latin1');
const CRLF_LENGTH = 2;
/** Characters of encoded text before a soft line break: 75 plus "=" makes the 76 of RFC 2045 §6.7 rule 5. */
const QP_LINE = 75;

/** Bytes that quoted-printable writes as they are anywhere: printable ASCII except "=" (rule 2). */
const LITERAL: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let i = 0x21; i <= 0x7e; i++) t[i] = i === 0x3d ? 0 : 1;
  return t;
})();

export function base64Length(n: number): number {
  const chars = Math.ceil(n / 3) * 4;
  return chars + Math.max(0, Math.ceil(chars / 76) - 1) * CRLF_LENGTH;
}

/**
 * Quoted-printable: CRLF in the text is a hard line break; a lone CR or LF is escaped so it reads back exactly;
 * whitespace before a line break is escaped (rule 3); lines stay within 76 characters with "=" soft breaks; no
 * line starts with ".".
 */
export function quotedPrintable(bytes: Buffer): Buffer;
/** As above, but gives up (null) as soon as the output would pass `limit` bytes. */
export function quotedPrintable(bytes: Buffer, limit: number): Buffer | null;
export function quotedPrintable(bytes: Buffer, limit = Infinity): Buffer | null {
  const n = bytes.length;
  // Worst case: every byte escaped, plus a soft break per 25 escapes. With a limit, the check at every escape and
  // line break (hard or soft) leaves at most one line of growth unchecked, so limit + one line is enough.
  const worst = 3 * n + Math.ceil((3 * n) / (QP_LINE - 2)) * 3 + 3;
  const out = Buffer.allocUnsafe(Math.min(worst, limit + QP_LINE + 16));
  let o = 0;
  let line = 0;
  let i = 0;
  while (i < n) {
    const c = bytes[i]!;
    // A "." that would start a line is written "=2E": the body then never needs SMTP dot-stuffing (RFC 5321
    // §4.5.2), so delivery can send it as it is.
    if (LITERAL[c] === 1 && (c !== 0x2e || (line !== 0 && line !== QP_LINE))) {
      if (line === QP_LINE) {
        out[o++] = 0x3d;
        out[o++] = 0x0d;
        out[o++] = 0x0a;
        line = 0;
        if (o > limit) return null;
      }
      out[o++] = c;
      line++;
      i++;
      continue;
    }
    if (c === 0x0d && i + 1 < n && bytes[i + 1] === 0x0a) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      line = 0;
      i += 2;
      if (o > limit) return null;
      continue;
    }
    let escape = true;
    if (c === 0x20 || c === 0x09) {
      const next = i + 1;
      escape = next === n || (bytes[next] === 0x0d && next + 1 < n && bytes[next + 1] === 0x0a);
    }
    const w = escape ? 3 : 1;
    if (line + w > QP_LINE) {
      out[o++] = 0x3d;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      line = 0;
      if (o > limit) return null;
    }
    if (escape) {
      out[o++] = 0x3d;
      out[o++] = HEX_UPPER[c >> 4]!;
      out[o++] = HEX_UPPER[c & 15]!;
      if (o > limit) return null;
    } else out[o++] = c;
    line += w;
    i++;
  }
  return o > limit ? null : out.subarray(0, o);
}

/** Base64 in lines of 76 characters, CRLF between lines (RFC 2045 §6.8). */
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

/**
 * The smaller of the two encodings, in one pass for the usual mostly-ASCII HTML: quoted-printable is built
 * and abandoned as soon as it outgrows the base64 size.
 */
export function encodeHtmlBody(bytes: Buffer): { encoding: 'base64' | 'quoted-printable'; data: Buffer } {
  const qp = quotedPrintable(bytes, base64Length(bytes.length));
  if (qp === null) return { encoding: 'base64', data: base64Lines(bytes) };
  return { encoding: 'quoted-printable', data: qp };
}
