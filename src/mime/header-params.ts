// Content-Type / Content-Disposition values: a token and parameters (RFC 2045 §5.1, RFC 2183),
// with RFC 2231 continuations, charsets and languages, and RFC 2047 words in values as senders write them.
import { decodeCharset } from './charset.js';
import { decodeEncodedWords, hexValue } from './encoded-words.js';

export interface HeaderValueWithParams {
  /** Lower-cased value before the first ";" ("text/html", "attachment"), "" when empty. */
  value: string;
  /** Lower-cased parameter names to decoded values. */
  params: Map<string, string>;
}

interface Section {
  index: number;
  extended: boolean;
  text: string;
}

/**
 * RFC 5322 §3.2.2: `s` without its comments (nested, with quoted-pairs), each replaced by a space as CFWS
 * reads; quoted strings are kept whole, and an unclosed comment runs to the end.
 */
export function withoutComments(s: string): string {
  const n = s.length;
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      i++;
      while (i < n && s.charCodeAt(i) !== 0x22) i += s.charCodeAt(i) === 0x5c ? 2 : 1;
      i++;
    } else if (c === 0x28) {
      out += s.slice(copied, i) + ' ';
      let depth = 0;
      do {
        const d = s.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x28) depth++;
        else if (d === 0x29) depth--;
        i++;
      } while (i < n && depth > 0);
      copied = i;
    } else i++;
  }
  return copied === 0 ? s : out + s.slice(copied);
}

/** Splits "a; b=c; d=\"e;f\"" on semicolons outside quoted strings, unquoting values. */
function splitParams(s: string): { head: string; pairs: Array<[string, string, boolean]> } {
  const pairs: Array<[string, string, boolean]> = [];
  let i = s.indexOf(';');
  let head = (i < 0 ? s : s.slice(0, i)).trim();
  // RFC 2045 §5.1 allows whitespace (and comments, now spaces) around the "/" of type/subtype.
  if (head.includes(' ') || head.includes('\t')) head = head.replace(/[ \t]+/g, '');
  if (i < 0) return { head, pairs };
  const n = s.length;
  i++;
  while (i < n) {
    while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === ';')) i++;
    const nameStart = i;
    while (i < n && s[i] !== '=' && s[i] !== ';') i++;
    const name = s.slice(nameStart, i).trim().toLowerCase();
    if (i >= n || s[i] === ';') continue; // a parameter without "=": ignored
    i++; // "="
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    let value = '';
    let quoted = false;
    if (s[i] === '"') {
      quoted = true;
      i++;
      const close = s.indexOf('"', i);
      const slash = s.indexOf('\\', i);
      if (close >= 0 && (slash < 0 || slash > close)) {
        // No quoted-pair: the value is a plain slice.
        value = s.slice(i, close);
        i = close;
      } else {
        while (i < n && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < n) i++;
          value += s[i];
          i++;
        }
      }
      i++; // closing quote (or end)
      while (i < n && s[i] !== ';') i++;
    } else {
      const vs = i;
      while (i < n && s[i] !== ';') i++;
      value = s.slice(vs, i).trim();
    }
    if (name !== '') pairs.push([name, value, quoted]);
  }
  return { head, pairs };
}

/** RFC 2231 §4: %XX escapes in an extended value, to bytes (raw 8-bit text keeps its UTF-8 bytes). */
function percentDecode(s: string): Buffer {
  const src = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25 && i + 2 < src.length && hexValue(src[i + 1]!) >= 0 && hexValue(src[i + 2]!) >= 0) {
      out[n++] = hexValue(src[i + 1]!) * 16 + hexValue(src[i + 2]!);
      i += 2;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}

/** Parses a Content-Type or Content-Disposition field value. */
export function parseHeaderValueWithParams(raw: string): HeaderValueWithParams {
  const { head, pairs } = splitParams(raw.includes('(') ? withoutComments(raw) : raw);
  const params = new Map<string, string>();
  const sectioned = new Map<string, Section[]>();
  for (const [name, value, quoted] of pairs) {
    // RFC 2231 §3-4: name*N (continuation), name* (extended), name*N* (both).
    const star = name.indexOf('*');
    if (star < 0) {
      if (!params.has(name)) params.set(name, quoted || value.includes('=?') ? decodeEncodedWords(value) : value);
      continue;
    }
    const base = name.slice(0, star);
    const rest = name.slice(star + 1);
    let index = 0;
    let extended = false;
    if (rest === '') extended = true;
    else {
      const digits = rest.endsWith('*') ? rest.slice(0, -1) : rest;
      extended = rest.endsWith('*');
      if (!/^\d{1,4}$/.test(digits)) continue;
      index = Number(digits);
    }
    let list = sectioned.get(base);
    if (!list) sectioned.set(base, (list = []));
    list.push({ index, extended, text: value });
  }
  for (const [base, sections] of sectioned) {
    sections.sort((a, b) => a.index - b.index);
    let charset = 'us-ascii';
    let out = '';
    let extended = false;
    let pending: Buffer[] = [];
    const flush = (): void => {
      if (pending.length > 0) {
        out += decodeCharset(Buffer.concat(pending), charset);
        pending = [];
      }
    };
    for (let k = 0; k < sections.length; k++) {
      const sec = sections[k]!;
      if (sec.extended) {
        extended = true;
        let text = sec.text;
        if (k === 0) {
          // charset'language'value; only the first section carries them (RFC 2231 §4.1).
          const a = text.indexOf("'");
          const b = a >= 0 ? text.indexOf("'", a + 1) : -1;
          if (a >= 0 && b >= 0) {
            charset = text.slice(0, a) || 'us-ascii';
            text = text.slice(b + 1);
          }
        }
        pending.push(percentDecode(text));
      } else {
        flush();
        out += sec.text;
      }
    }
    flush();
    // RFC 2047 words in plain continuations are decoded once the sections are joined, as mailparser does,
    // so a word (or a character) that the sender split across sections decodes whole.
    if (!extended && out.includes('=?')) out = decodeEncodedWords(out);
    // A full RFC 2231 value wins over a plain one of the same name.
    params.set(base, out);
  }
  return { value: head.toLowerCase(), params };
}
