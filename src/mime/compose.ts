// Builds the outbound message: one text/html part in UTF-8 with clean headers (RFC 5322, RFC 2045, RFC 2047),
// CRLF line ends and every line within 998 octets. On the relay's hot path: one call per recipient.
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { encodeHtmlBody } from './body-encoding.js';
import { AddressSyntaxError, formatAddress } from './address-spec.js';
import { mailboxValue, unstructuredValue } from './header-encoding.js';

export interface ComposeMailbox {
  name?: string | null;
  address: string;
}

export interface ComposeInput {
  from: ComposeMailbox;
  to: ComposeMailbox;
  replyTo?: ComposeMailbox | null;
  subject: string;
  /** The HTML, or the result of encodeHtml() when several messages share one body. */
  html: string | EncodedHtml;
  /** Without angle brackets; default `<random>@<hostname>`. */
  messageId?: string;
  date?: Date;
  /** Right-hand side of the generated Message-ID; default os.hostname(). */
  hostname?: string;
  /** More header fields (List-Unsubscribe...), written after Message-ID; absent on the usual path. */
  extraHeaders?: readonly ComposeHeader[] | null;
}

/**
 * A header field the caller structures itself: printable ASCII, no line breaks. The value is folded at its spaces
 * to keep lines within 78 columns where it has spaces to fold at (RFC 5322 §2.1.1); a longer word stays whole.
 */
export interface ComposeHeader {
  name: string;
  value: string;
}

/** Thrown for input that cannot make a valid message (an address with a line break or no domain). */
export class ComposeError extends Error {
  readonly field: string;
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.name = 'ComposeError';
    this.field = field;
  }
}

const CANONICAL_LINE_BREAK = /\r?\n/g;

let defaultHostname: string | null = null;

/** RFC 5322 §3.3 date-time in UTC: "Thu, 26 Nov 2026 04:11:01 +0000". */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

// The Date header of the current second, formatted once per second rather than once per message.
let dateSecond = -1;
let dateText = '';
function currentDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = rfc5322Date(new Date(second * 1000));
  }
  return dateText;
}

/** The address as a header writes it (quoted local part where needed), or a ComposeError naming the field. */
function writableAddress(field: string, address: string): string {
  try {
    return formatAddress(address);
  } catch (e) {
    if (e instanceof AddressSyntaxError) throw new ComposeError(field, e.message);
    throw e;
  }
}

/** An HTML body encoded once, for composing many messages that share it (one per recipient). */
export interface EncodedHtml {
  readonly encoding: 'base64' | 'quoted-printable';
  readonly data: Buffer;
  /** "=" when quoted-printable text does not end in a line break: a soft break, so the final CRLF adds nothing. */
  readonly tail: '' | '=';
  readonly nonEmpty: boolean;
}

/** Whether some LF in `s` is not preceded by CR (HTML from SMTP is usually all CRLF already: no rewrite then). */
function hasBareLineFeed(s: string): boolean {
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) {
    if (i === 0 || s.charCodeAt(i - 1) !== 0x0d) return true;
  }
  return false;
}

/** Canonical CRLF line breaks (RFC 2046 §4.1.1), then quoted-printable or base64, whichever is smaller. */
export function encodeHtml(html: string): EncodedHtml {
  const canonical = hasBareLineFeed(html) ? html.replace(CANONICAL_LINE_BREAK, '\r\n') : html;
  const body = Buffer.from(canonical, 'utf8');
  const { encoding, data } = encodeHtmlBody(body);
  const endsInBreak = body.length >= 2 && body[body.length - 2] === 0x0d && body[body.length - 1] === 0x0a;
  return { encoding, data, tail: encoding === 'base64' || endsInBreak ? '' : '=', nonEmpty: body.length > 0 };
}

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]{1,76}$/;
const FIELD_VALUE = /^[\x20-\x7e]*$/;
const MAX_COLUMNS = 78;
const MAX_LINE_OCTETS = 998;

/** "Name: value\r\n", folded before a space wherever the line would pass 78 columns. */
function foldedField(h: ComposeHeader): string {
  if (!FIELD_NAME.test(h.name)) throw new ComposeError('extraHeaders', `invalid field name ${JSON.stringify(h.name)}`);
  if (!FIELD_VALUE.test(h.value)) throw new ComposeError(h.name, 'must be printable ASCII without line breaks');
  const words = h.value.split(' ');
  let out = h.name + ':';
  let column = out.length;
  for (const word of words) {
    if (word === '') continue;
    if (column + 1 + word.length > MAX_COLUMNS && column > h.name.length + 1) {
      out += '\r\n';
      column = 0;
    }
    if (column + 1 + word.length > MAX_LINE_OCTETS) throw new ComposeError(h.name, `has a word longer than ${MAX_LINE_OCTETS - 1} octets`);
    out += ' ' + word;
    column += 1 + word.length;
  }
  return out + '\r\n';
}

export function composeMessage(input: ComposeInput): Buffer {
  const from = writableAddress('from', input.from.address);
  const to = writableAddress('to', input.to.address);
  const replyTo = input.replyTo ? writableAddress('replyTo', input.replyTo.address) : null;
  const host = input.hostname ?? (defaultHostname ??= osHostname() || 'localhost');
  const messageId = input.messageId ?? `${randomUUID()}@${host}`;
  if (/[\s<>]/.test(messageId)) throw new ComposeError('messageId', 'contains whitespace or angle brackets');

  const b = typeof input.html === 'string' ? encodeHtml(input.html) : input.html;
  const useBase64 = b.encoding === 'base64';
  const encoded = b.data;
  const tail = b.tail;

  let head =
    'From: ' + mailboxValue('From', input.from.name, from) + '\r\n' +
    'To: ' + mailboxValue('To', input.to.name, to) + '\r\n';
  if (input.replyTo && replyTo !== null) head += 'Reply-To: ' + mailboxValue('Reply-To', input.replyTo.name, replyTo) + '\r\n';
  head +=
    'Subject: ' + unstructuredValue('Subject', input.subject) + '\r\n' +
    'Date: ' + (input.date ? rfc5322Date(input.date) : currentDate()) + '\r\n' +
    'Message-ID: <' + messageId + '>\r\n';
  if (input.extraHeaders) for (const h of input.extraHeaders) head += foldedField(h);
  head +=
    'MIME-Version: 1.0\r\n' +
    'Content-Type: text/html; charset=utf-8\r\n' +
    'Content-Transfer-Encoding: ' + (useBase64 ? 'base64' : 'quoted-printable') + '\r\n\r\n';
  const headBytes = Buffer.byteLength(head, 'utf8');
  const ending = tail === '' ? 2 : 3;
  const endsWithCrlf = !useBase64 && tail === '' && b.nonEmpty;
  const out = Buffer.allocUnsafe(headBytes + encoded.length + (endsWithCrlf ? 0 : ending));
  out.write(head, 0, 'utf8');
  encoded.copy(out, headBytes);
  if (endsWithCrlf) return out;
  if (tail !== '') out[out.length - 3] = 0x3d;
  out[out.length - 2] = 0x0d;
  out[out.length - 1] = 0x0a;
  return out;
}
