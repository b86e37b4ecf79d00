// Charset decoding through TextDecoder, with an alias table for labels mail uses and WHATWG does not know;
// an unknown or broken charset falls back to windows-1252 and never throws.
import { TextDecoder } from 'node:util';
import { decodeWindows1252 } from './windows-1252.js';

/** Labels seen in mail that TextDecoder rejects or maps differently, normalised to a WHATWG label. */
const ALIASES: Record<string, string> = {
  'utf8': 'utf-8',
  'utf-8': 'utf-8',
  'unicode-1-1-utf-8': 'utf-8',
  'us-ascii': 'windows-1252',
  'ascii': 'windows-1252',
  'ansi_x3.4-1968': 'windows-1252',
  'iso-8859-1': 'windows-1252',
  'iso8859-1': 'windows-1252',
  'iso_8859-1': 'windows-1252',
  'iso-ir-100': 'windows-1252',
  'latin1': 'windows-1252',
  'latin-1': 'windows-1252',
  'l1': 'windows-1252',
  'cp819': 'windows-1252',
  'cp1252': 'windows-1252',
  'windows-1252': 'windows-1252',
  'x-cp1252': 'windows-1252',
  'win-1252': 'windows-1252',
  'iso8859-15': 'iso-8859-15',
  'iso8859-2': 'iso-8859-2',
  'latin2': 'iso-8859-2',
  'ks_c_5601-1987': 'euc-kr',
  'x-sjis': 'shift_jis',
  'sjis': 'shift_jis',
  'cp932': 'shift_jis',
  'x-gbk': 'gbk',
  'cp936': 'gbk',
  'gb2312': 'gbk',
  'x-euc-jp': 'euc-jp',
  'cp1250': 'windows-1250',
  'cp1251': 'windows-1251',
  'cp1253': 'windows-1253',
  'cp1254': 'windows-1254',
  'cp1255': 'windows-1255',
  'cp1256': 'windows-1256',
  'cp1257': 'windows-1257',
  'cp1258': 'windows-1258',
  'cp866': 'ibm866',
  'koi8r': 'koi8-r',
  'utf-16': 'utf-16le',
};

const decoders = new Map<string, TextDecoder | null>();

function decoderFor(label: string): TextDecoder | null {
  let d = decoders.get(label);
  if (d === undefined) {
    try {
      d = new TextDecoder(label, { fatal: false });
    } catch {
      d = null; // TextDecoder throws RangeError on an unknown label
    }
    // A hostile message must not grow the cache without bound.
    if (decoders.size < 256) decoders.set(label, d);
  }
  return d;
}

/** Normalises a charset label: lower-cased, trimmed, quotes and RFC 2231 language suffix removed. */
export function normaliseCharset(label: string | null | undefined): string {
  if (!label) return 'us-ascii';
  let s = label.trim().toLowerCase();
  if (s.startsWith('"') && s.endsWith('"') && s.length >= 2) s = s.slice(1, -1).trim();
  const star = s.indexOf('*'); // RFC 2231 §5: charset*language
  if (star >= 0) s = s.slice(0, star);
  return s;
}

/** Decodes bytes in the named charset; the label is whatever the message said. */
export function decodeCharset(bytes: Uint8Array, label: string | null | undefined): string {
  const name = normaliseCharset(label);
  const resolved = ALIASES[name] ?? name;
  if (resolved === 'utf-8') return decodeUtf8(bytes);
  if (resolved === 'windows-1252') return isAscii(bytes) ? asciiString(bytes) : decodeWindows1252(bytes);
  const d = decoderFor(resolved);
  if (d === null) return decodeWindows1252(bytes);
  const enc = d.encoding;
  // WHATWG maps these labels to windows-1252, which Node decodes wrongly; iso-8859-1 etc. land here.
  if (enc === 'windows-1252' || enc === 'latin1' || enc === 'iso-8859-1') return decodeWindows1252(bytes);
  if (enc === 'replacement') return decodeWindows1252(bytes);
  try {
    return d.decode(bytes);
  } catch {
    return decodeWindows1252(bytes);
  }
}

/** UTF-8 with U+FFFD for invalid sequences and a leading BOM dropped (as TextDecoder, but faster on small input). */
export function decodeUtf8(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  return buf.toString('utf8', bom);
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

function asciiString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Raw 8-bit header text (RFC 6532): UTF-8 when it is valid UTF-8, else windows-1252. */
const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
export function decodeRawHeaderBytes(bytes: Uint8Array): string {
  if (isAscii(bytes)) return asciiString(bytes);
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return decodeWindows1252(bytes);
  }
}
