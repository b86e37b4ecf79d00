// Address lists (RFC 5322 §3.4): mailboxes, name-addr with quoted or encoded display names, comments, groups.
// An entry with no "@" outside quotes is a display name alone (the relay's To header carries names: SPEC §3).
import { decodeEncodedWords, encodedWordEnd } from './encoded-words.js';
import type { Mailbox } from './parsed-message.js';

/** Builds one mailbox from the pieces seen since the last separator. */
class MailboxBuilder {
  words: string[] = [];
  angle: string | null = null;
  comment: string | null = null;
  /** An atom outside quotes held an "@": the words are an addr-spec, not a phrase. */
  hasAt = false;

  reset(): void {
    this.words = [];
    this.angle = null;
    this.comment = null;
    this.hasAt = false;
  }

  /**
   * A name-addr gets its phrase as name; a bare addr-spec gets its comment, as mail clients show it; words
   * without an "@" (and "Name <x>" whose x has none) are a display name alone.
   */
  finish(out: Mailbox[]): void {
    if (this.angle !== null && this.angle.includes('@')) {
      const name = decodeEncodedWords(this.words.join(' ')).trim();
      out.push({ name: name === '' ? null : name, address: this.angle });
    } else if (this.words.length > 0 && this.hasAt && this.angle === null) {
      const address = this.words.join('');
      const name = this.comment === null ? '' : decodeEncodedWords(this.comment).trim();
      out.push({ name: name === '' ? null : name, address });
    } else if (this.words.length > 0) {
      const name = decodeEncodedWords(this.words.join(' ')).trim();
      if (name !== '') out.push({ name, address: null });
    }
    this.reset();
  }
}

/** Parses an unfolded address-list header value. Never throws; unparseable text yields what it can. */
export function parseAddressList(s: string): Mailbox[] {
  const out: Mailbox[] = [];
  const mb = new MailboxBuilder();
  const n = s.length;
  let i = 0;
  // Adjacent atoms and quoted strings without whitespace between them form one word (e.g. a."b"@c).
  let glue = false;
  const addWord = (w: string): void => {
    if (glue && mb.words.length > 0) mb.words[mb.words.length - 1] += w;
    else mb.words.push(w);
    glue = true;
  };
  while (i < n) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      glue = false;
      i++;
    } else if (c === '"') {
      let w = '';
      i++;
      while (i < n && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < n) i++;
        w += s[i];
        i++;
      }
      i++;
      addWord(w);
    } else if (c === '(') {
      let depth = 1;
      let text = '';
      i++;
      while (i < n && depth > 0) {
        const d = s[i]!;
        if (d === '\\' && i + 1 < n) {
          text += s[i + 1];
          i += 2;
          continue;
        }
        if (d === '(') depth++;
        else if (d === ')') {
          depth--;
          if (depth === 0) break;
        }
        text += d;
        i++;
      }
      i++;
      if (mb.comment === null) mb.comment = text;
      glue = false;
    } else if (c === '<') {
      const close = s.indexOf('>', i + 1);
      const inner = close < 0 ? s.slice(i + 1) : s.slice(i + 1, close);
      // Obsolete source routes (RFC 5322 §4.4): "<@a,@b:user@host>".
      const colon = inner.startsWith('@') ? inner.indexOf(':') : -1;
      mb.angle = (colon >= 0 ? inner.slice(colon + 1) : inner).replace(/\s+/g, '');
      i = close < 0 ? n : close + 1;
      glue = false;
    } else if (c === ',') {
      mb.finish(out);
      glue = false;
      i++;
    } else if (c === ':' && mb.angle === null) {
      // Group: "name: a@b, c@d;" — the group name is not a mailbox.
      mb.reset();
      glue = false;
      i++;
    } else if (c === ';') {
      mb.finish(out);
      glue = false;
      i++;
    } else {
      const start = i;
      // An encoded word is one word even when its text holds specials ("Doe,_John"), as Python reads it.
      if (c === '=' && s[i + 1] === '?') i = Math.max(i, encodedWordEnd(s, i));
      while (i < n) {
        const d = s[i]!;
        if (d === ' ' || d === '\t' || d === '"' || d === '(' || d === '<' || d === ',' || d === ';' || d === '\r' || d === '\n') break;
        if (d === ':' && mb.angle === null) break;
        if (d === '@') mb.hasAt = true;
        i++;
      }
      addWord(s.slice(start, i));
    }
  }
  mb.finish(out);
  return out;
}
