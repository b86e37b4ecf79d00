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

const BASE64: Int8Array = (() => {
  const t = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
})();

/**
 * The bytes of the current run of adjacent same-charset words, decoded straight into one buffer that every
 * call reuses (decoding never re-enters), so a run costs no per-word buffers and no concatenation.
 */
const RUN_BUFFER_KEPT = 4096;
let run = Buffer.allocUnsafe(256);
let runLen = 0;

function reserve(n: number): void {
  if (runLen + n <= run.length) return;
  const grown = Buffer.allocUnsafe(Math.max(run.length * 2, runLen + n));
  run.copy(grown, 0, 0, runLen);
  run = grown;
}

/** RFC 2047 §4.2: "Q" encoding of s[from, to) onto the run; "_" is a space, "=XX" a byte, anything else itself. */
function appendQ(s: string, from: number, to: number): void {
  reserve(to - from);
  const out = run;
  let n = runLen;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5f) out[n++] = 0x20;
    else if (c === 0x3d && i + 2 < to && hexValue(s.charCodeAt(i + 1)) >= 0 && hexValue(s.charCodeAt(i + 2)) >= 0) {
      out[n++] = hexValue(s.charCodeAt(i + 1)) * 16 + hexValue(s.charCodeAt(i + 2));
      i += 2;
    } else out[n++] = c & 0xff;
  }
  runLen = n;
}

/**
 * RFC 2047 §4.1: "B" encoding of s[from, to) onto the run, read leniently as Python's email package reads it:
 * characters outside the alphabet are skipped, padding ends the data, a final group of 2 or 3 characters is
 * decoded as if padded, and text with one character too many to decode at all is kept as written.
 */
function appendB(s: string, from: number, to: number): void {
  reserve(to - from);
  const out = run;
  let n = runLen;
  let group = 0; // characters of the current 4-character group seen
  let bits = 0;
  let pads = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3d) {
      // "=" completes a group of 2 (with "==") or 3 (with "="); elsewhere it is skipped.
      if (group >= 2 && group + ++pads >= 4) break;
      continue;
    }
    const v = c < 128 ? BASE64[c]! : -1;
    if (v < 0) continue;
    pads = 0;
    bits = (bits << 6) | v;
    if (++group === 4) {
      out[n++] = bits >> 16;
      out[n++] = (bits >> 8) & 0xff;
      out[n++] = bits & 0xff;
      group = 0;
      bits = 0;
    }
  }
  if (group === 2) out[n++] = bits >> 4;
  else if (group === 3) {
    out[n++] = bits >> 10;
    out[n++] = (bits >> 2) & 0xff;
  } else if (group === 1) {
    n = runLen;
    for (let i = from; i < to; i++) out[n++] = s.charCodeAt(i) & 0xff;
  }
  runLen = n;
}

/** A charset label holds no whitespace or specials, so a stray "=?" in running text is not a word. */
function isCharsetLabel(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x2c || c === 0x3a || c === 0x3b || c === 0x3c || c === 0x3e) return false;
  }
  return true;
}

interface EncodedWord {
  end: number;
  /** Normalised label (lower case, RFC 2231 §5 language suffix dropped), so "UTF-8" and "utf-8*en" join. */
  charset: string;
  /** "b" or "q", lower case. */
  encoding: number;
  textStart: number;
  textEnd: number;
}

/** The index just past the encoded word starting at `start` ("=?"), or -1 when the text there is not one. */
export function encodedWordEnd(s: string, start: number): number {
  const q1 = s.indexOf('?', start + 2);
  if (q1 < 0 || q1 === start + 2) return -1;
  if (q1 + 2 >= s.length || s.charCodeAt(q1 + 2) !== 0x3f) return -1;
  const encoding = s.charCodeAt(q1 + 1) | 0x20;
  if (encoding !== 0x62 && encoding !== 0x71) return -1; // b or q
  const close = s.indexOf('?=', q1 + 3);
  if (close < 0) return -1;
  // RFC 2047 §2: encoded-text holds no "?"; a word with one is left as written, as Python leaves it.
  if (s.indexOf('?', q1 + 3) < close) return -1;
  if (!isCharsetLabel(s, start + 2, q1)) return -1;
  return close + 2;
}

/** Parses the encoded word starting at `start` ("=?"), or returns null when the text there is not one. */
function readEncodedWord(s: string, start: number): EncodedWord | null {
  const end = encodedWordEnd(s, start);
  if (end < 0) return null;
  const q1 = s.indexOf('?', start + 2);
  return { end, charset: normaliseCharset(s.slice(start + 2, q1)), encoding: s.charCodeAt(q1 + 1) | 0x20, textStart: q1 + 3, textEnd: end - 2 };
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
  let copied = 0; // s before this index is in `out` or in the run
  let runCharset: string | null = null; // charset of the run, null before the first word
  runLen = 0;
  while (at >= 0) {
    const w = readEncodedWord(s, at);
    if (w === null) {
      at = s.indexOf('=?', at + 2);
      continue;
    }
    const adjacent = runCharset !== null && isWhitespaceOnly(s, copied, at);
    if (runCharset !== null && !(adjacent && w.charset === runCharset)) {
      out += decodeCharset(run.subarray(0, runLen), runCharset);
      runLen = 0;
    }
    if (!adjacent) out += s.slice(copied, at);
    runCharset = w.charset;
    if (w.encoding === 0x62) appendB(s, w.textStart, w.textEnd);
    else appendQ(s, w.textStart, w.textEnd);
    copied = w.end;
    at = s.indexOf('=?', w.end);
  }
  if (runCharset !== null) out += decodeCharset(run.subarray(0, runLen), runCharset);
  if (run.length > RUN_BUFFER_KEPT) run = Buffer.allocUnsafe(256); // a huge header does not pin a huge buffer
  return out + s.slice(copied);
}
