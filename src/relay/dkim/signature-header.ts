// The DKIM-Signature header (RFC 6376 §3.5): its tags, the data its b= signs (§3.7: the h= fields then the
// signature header itself with an empty b=, relaxed), and folding within 78 columns (RFC 5322 §2.1.1).
import { headerFields, relaxedHeader } from './canonicalization.js';
import type { DkimAlgorithm } from './dkim-key.js';

/** The fields signed when present, in h= order; From is listed twice so that no From can be added (§8.15). */
export const SIGNED_HEADERS = [
  'From',
  'To',
  'Subject',
  'Date',
  'Message-ID',
  'Reply-To',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  // RFC 8058 §4: a one-click unsubscribe is honoured only when a valid DKIM signature covers both fields.
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
] as const;

const MAX_LINE = 78;
const FOLD = '\r\n ';

/** The header fields by lower-case name, each name's instances in order. */
export type HeaderIndex = Map<string, string[]>;

export function indexHeaders(header: Buffer): HeaderIndex {
  const index: HeaderIndex = new Map();
  for (const field of headerFields(header)) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    const name = field.slice(0, colon).trim().toLowerCase();
    const list = index.get(name);
    if (list) list.push(field);
    else index.set(name, [field]);
  }
  return index;
}

/** h=: the present fields of SIGNED_HEADERS, with From once more (over-signing). */
export function signedHeaderNames(index: HeaderIndex): string[] {
  const names: string[] = SIGNED_HEADERS.filter((n) => index.has(n.toLowerCase()));
  if (index.has('from')) names.unshift('From');
  return names;
}

/** §5.4.2: each name in h= takes the next instance from the bottom; a name with none left adds nothing. */
function canonicalSignedFields(index: HeaderIndex, names: readonly string[]): string {
  const used = new Map<string, number>();
  let out = '';
  for (const name of names) {
    const key = name.toLowerCase();
    const fields = index.get(key) ?? [];
    const n = used.get(key) ?? 0;
    used.set(key, n + 1);
    const field = fields[fields.length - 1 - n];
    if (field !== undefined) out += relaxedHeader(field);
  }
  return out;
}

export interface SignatureTags {
  algorithm: DkimAlgorithm;
  domain: string;
  selector: string;
  /** t=, seconds since the epoch. */
  time: number;
  /** x=, seconds since the epoch, or null for none. */
  expires: number | null;
  headerNames: readonly string[];
  bodyHash: string;
}

/** Lays out atoms on lines of at most 78 columns; `glue` is what joins an atom to the previous one on a line. */
class FoldedLine {
  text: string;
  private column: number;
  constructor(start: string, column = start.length) {
    this.text = start;
    this.column = column;
  }
  clone(): FoldedLine {
    return new FoldedLine(this.text, this.column);
  }
  add(atom: string, glue: '' | ' '): void {
    if (this.column + glue.length + atom.length > MAX_LINE) {
      this.text += FOLD + atom;
      this.column = 1 + atom.length;
    } else {
      this.text += glue + atom;
      this.column += glue.length + atom.length;
    }
  }
  /** Base64 text split anywhere (FWS is allowed inside b=, §3.5). */
  addBase64(value: string): void {
    let i = 0;
    while (i < value.length) {
      let room = MAX_LINE - this.column;
      if (room <= 0) {
        this.text += FOLD;
        this.column = 1;
        room = MAX_LINE - 1;
      }
      const piece = value.slice(i, i + room);
      this.text += piece;
      this.column += piece.length;
      i += piece.length;
    }
  }
}

/** The DKIM-Signature header up to "b=" (folded), whose relaxed form with the signed fields is what b= signs. */
function headerUntilSignature(tags: SignatureTags): FoldedLine {
  const line = new FoldedLine('DKIM-Signature:');
  const plain = [`v=1;`, `a=${tags.algorithm};`, `c=relaxed/relaxed;`, `d=${tags.domain};`, `s=${tags.selector};`, `t=${tags.time};`];
  if (tags.expires !== null) plain.push(`x=${tags.expires};`);
  for (const atom of plain) line.add(atom, ' ');
  tags.headerNames.forEach((name, i) => {
    const last = i === tags.headerNames.length - 1;
    line.add(`${i === 0 ? 'h=' : ''}${name}${last ? ';' : ':'}`, i === 0 ? ' ' : '');
  });
  line.add(`bh=${tags.bodyHash};`, ' ');
  line.add('b=', ' ');
  return line;
}

/** What one signature needs: the bytes to sign, and how to finish the header once the signature is known. */
export interface SignatureDraft {
  /**
   * The signed fields and the signature header with an empty b=, relaxed, without the final CRLF (§3.7), as a latin1
   * string (one character per byte: the header block is read as latin1).
   */
  readonly signedData: string;
  /** The complete header field, folded, ending with CRLF. */
  finish(signatureBase64: string): string;
}

export function draftSignature(index: HeaderIndex, tags: SignatureTags): SignatureDraft {
  const line = headerUntilSignature(tags);
  const prefix = line.text;
  const data = canonicalSignedFields(index, tags.headerNames) + relaxedHeader(prefix).slice(0, -2);
  return {
    signedData: data,
    finish(signatureBase64: string): string {
      const done = line.clone();
      done.addBase64(signatureBase64);
      return `${done.text}\r\n`;
    },
  };
}
