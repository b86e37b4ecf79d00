// RFC 2047 encoded words in header text: =?charset?B|Q?text?=, any charset, adjacent words joined.
import { decodeCharset, normaliseCharset } from './charset.js';

const HEX: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[65 + i] = 10 + i;
    t[97 + i] = 10 + i;
  }
  return t;
})();

export function hexValue(code: number): number {
  return code < 256 ? HEX[code]! : -1;
}

/** RFC 2047 §4.2: "Q" encoding; "_" is a space, "=XX" a byte, anything else itself. */
function decodeQ(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5f) out[n++] = 0x20;
    else if (c === 0x3d && i + 2 < text.length && hexValue(text.charCodeAt(i + 1)) >= 0 && hexValue(text.charCodeAt(i + 2)) >= 0) {
      out[n++] = hexValue(text.charCodeAt(i + 1)) * 16 + hexValue(text.charCodeAt(i + 2));
      i += 2;
    } else out[n++] = c & 0xff;
  }
  return out.subarray(0, n);
}

interface EncodedWord {
  start: number;
  end: number;
  /** Normalised label (lower case, RFC 2231 §5 language suffix dropped), so "UTF-8" and "utf-8*en" join. */
  charset: string;
  bytes: Buffer;
}

/** Parses the encoded word starting at `start` ("=?"), or returns null when the text there is not one. */
function readEncodedWord(s: string, start: number): EncodedWord | null {
  const q1 = s.indexOf('?', start + 2);
  if (q1 < 0 || q1 === start + 2) return null;
  if (q1 + 2 >= s.length || s.charCodeAt(q1 + 2) !== 0x3f) return null;
  const enc = s.charCodeAt(q1 + 1) | 0x20;
  if (enc !== 0x62 && enc !== 0x71) return null; // b or q
  const close = s.indexOf('?=', q1 + 3);
  if (close < 0) return null;
  const charset = s.slice(start + 2, q1);
  if (/[\s"()<>,;:]/.test(charset)) return null;
  const text = s.slice(q1 + 3, close);
  const bytes = enc === 0x62 ? Buffer.from(text, 'base64') : decodeQ(text);
  return { start, end: close + 2, charset: normaliseCharset(charset), bytes };
}

function isWhitespaceOnly(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

/**
 * Decodes every encoded word in `s`. Whitespace between adjacent encoded words is dropped (RFC 2047 §6.2),
 * and the bytes of adjacent words in the same charset (B, Q or both) are decoded together, so a character
 * that a mailer split across two words survives.
 */
export function decodeEncodedWords(s: string): string {
  let at = s.indexOf('=?');
  if (at < 0) return s;
  let out = '';
  let copied = 0;
  let runCharset = '';
  let runBytes: Buffer[] = [];
  const flushRun = (): void => {
    if (runBytes.length > 0) {
      out += decodeCharset(runBytes.length === 1 ? runBytes[0]! : Buffer.concat(runBytes), runCharset);
      runBytes = [];
    }
  };
  let prevEnd = -1;
  while (at >= 0) {
    const w = readEncodedWord(s, at);
    if (w === null) {
      at = s.indexOf('=?', at + 2);
      continue;
    }
    const adjacent = prevEnd >= 0 && isWhitespaceOnly(s, prevEnd, w.start);
    if (!adjacent) {
      flushRun();
      out += s.slice(copied, w.start);
    }
    if (runBytes.length > 0 && w.charset !== runCharset) flushRun();
    runCharset = w.charset;
    runBytes.push(w.bytes);
    copied = w.end;
    prevEnd = w.end;
    at = s.indexOf('=?', w.end);
  }
  flushRun();
  return out + s.slice(copied);
}
