// Header text for the outbound message: RFC 2047 encoded words for anything not plain ASCII (RFC 2047 §2, §5),
// display names quoted when needed (RFC 5322 §3.2.4), lines folded at 78 where the grammar allows (§2.1.1).

/** Longest encoded word, "=?utf-8?B?...?=" included (RFC 2047 §2). */
const MAX_ENCODED_WORD = 75;
const PREFIX = '=?utf-8?B?';
/** Base64 payload per word: 75 - 12 = 63 characters, so 15 groups = 45 bytes of UTF-8. */
const MAX_WORD_BYTES = ((MAX_ENCODED_WORD - PREFIX.length - 2) >> 2) * 3;
/** Beyond this an ASCII header would risk the 998-octet line limit once the field name is added. */
const MAX_PLAIN_WORD = 900;

/** True when every character is printable ASCII or a space/tab, and nothing could be taken for an encoded word. */
function isPlainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      if (c !== 0x09) return false;
    }
  }
  return !s.includes('=?');
}

/** UTF-8 byte length of the code point at i (surrogate pairs are 4 bytes, consuming 2 code units). */
function utf8Length(c: number): number {
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : 3;
}

/** UTF-8 bytes that fit one encoded word of at most `chars` characters. */
function wordBytes(chars: number): number {
  return Math.max(3, ((Math.min(chars, MAX_ENCODED_WORD) - PREFIX.length - 2) >> 2) * 3);
}

/**
 * Encodes text as B-encoded words of at most 75 characters, split between characters, never inside one.
 * `firstRoom`: characters left on the first line, so the first word can end it within 78.
 */
export function encodedWords(s: string, firstRoom = MAX_ENCODED_WORD): string[] {
  const words: string[] = [];
  let start = 0;
  let bytes = 0;
  let i = 0;
  let limit = wordBytes(firstRoom);
  while (i < s.length) {
    const c = s.charCodeAt(i);
    const isPair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const n = isPair ? 4 : c >= 0xd800 && c <= 0xdfff ? 3 : utf8Length(c);
    const units = isPair ? 2 : 1;
    if (bytes + n > limit && bytes > 0) {
      words.push(PREFIX + Buffer.from(s.slice(start, i), 'utf8').toString('base64') + '?=');
      start = i;
      bytes = 0;
      limit = MAX_WORD_BYTES;
    }
    bytes += n;
    i += units;
  }
  if (i > start || words.length === 0) words.push(PREFIX + Buffer.from(s.slice(start, i), 'utf8').toString('base64') + '?=');
  return words;
}

/** Joins tokens with folding (CRLF SP) so that lines stay within 78 characters where tokens allow. */
function foldTokens(fieldLength: number, tokens: string[]): string {
  let out = '';
  let lineLength = fieldLength;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (k === 0) {
      out = t;
      lineLength += t.length;
    } else if (lineLength + 1 + t.length > 78) {
      out += '\r\n ' + t;
      lineLength = 1 + t.length;
    } else {
      out += ' ' + t;
      lineLength += 1 + t.length;
    }
  }
  return out;
}

/** An unstructured field value (Subject): plain when it is safe ASCII, else encoded words; folded. */
export function unstructuredValue(fieldName: string, s: string): string {
  const fieldLength = fieldName.length + 2;
  if (isPlainAscii(s) && !/^\s|\s$|\s\s|\t/.test(s)) {
    const words = s.split(' ');
    let longest = 0;
    for (const w of words) if (w.length > longest) longest = w.length;
    if (longest <= MAX_PLAIN_WORD) return foldTokens(fieldLength, words);
  }
  return foldTokens(fieldLength, encodedWords(s, 78 - fieldLength));
}

/** RFC 5322 §3.2.3 atext, plus space: a phrase of such words needs no quoting. */
function isAtextPhrase(s: string): boolean {
  if (s === '' || s[0] === ' ' || s[s.length - 1] === ' ') return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || "!#$%&'*+-/=?^_`{|}~ ".includes(s[i]!);
    if (!ok) return false;
    if (c === 0x20 && s.charCodeAt(i - 1) === 0x20) return false;
  }
  return true;
}

/** A display name as a phrase: atoms, a quoted string, or encoded words (RFC 2047 §5 (3)). */
export function displayNameTokens(name: string, firstRoom = MAX_ENCODED_WORD): string[] {
  if (isPlainAscii(name) && !name.includes('\t') && name.length <= MAX_PLAIN_WORD) {
    if (isAtextPhrase(name) && !name.includes('=?')) return name.split(' ');
    return ['"' + name.replace(/[\\"]/g, '\\$&') + '"'];
  }
  return encodedWords(name, firstRoom);
}

/** An address field value: "Name" <address>, or the bare address; folded between words. */
export function mailboxValue(fieldName: string, name: string | null | undefined, address: string): string {
  const addr = '<' + address + '>';
  if (!name) return addr;
  return foldTokens(fieldName.length + 2, [...displayNameTokens(name, 78 - fieldName.length - 2), addr]);
}
