// One message of the HTTP send API, from its JSON object to what the shared accept path takes: the recipient
// addresses (RCPT TO) and the ParsedMessage an SMTP message with the same content would parse to, the platform
// fields in the headers they stand for (tag -> X-Transactional-Tag, ...). This file checks only the request's
// shape (types, address syntax, sizes); every rule of SPEC §3 stays in MessageAcceptor.
import { MimeLimitError, parseAddressList, type KeptHeaders, type Mailbox, type ParsedMessage } from '../../mime/index.js';
import { PathSyntaxError, parsePath } from '../../protocol/index.js';
import { isPlainObject, typeName } from '../config/field-reader.js';
import { PyFloat } from '../template/values.js';
import { ApiRefusal, badField } from './api-error.js';
import { templateJsonText } from './template-json.js';

/** The fields a message may have (docs/http-api.md); any other is refused, naming it. */
const MESSAGE_FIELDS = ['from', 'to', 'subject', 'html', 'text', 'replyTo', 'tag', 'route', 'template', 'variables', 'track'] as const;
const MAILBOX_FIELDS = ['email', 'name'] as const;

/** The message limits SMTP applies while reading DATA, applied to the JSON fields that stand for the same parts. */
export interface SendLimits {
  maxRecipients: number;
  maxHeaderBytes: number;
  maxHtmlBytes: number;
}

export interface SendMessage {
  /** Recipient addresses in order. */
  recipients: string[];
  /** The parsed form; throws a MimeLimitError past the SMTP limits, so the accept path refuses it like SMTP. */
  message(): ParsedMessage;
  /** Size of the message's content (header fields, body, variables) in bytes, for the metrics and the log. */
  bytes: number;
}

// Header values cannot carry line breaks or other controls over SMTP; in JSON they would be a header injection.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** "a string", "an array", ... for a value of the body (a float written 1.0 is a number, not an object). */
export function jsonType(v: unknown): string {
  return v instanceof PyFloat ? 'a number' : typeName(v);
}

/** A JSON object of the body (parseTemplateJson gives a float written 1.0 as a PyFloat object). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return isPlainObject(v) && !(v instanceof PyFloat);
}

/** Reads one message object; `at` is its path in the body ('' for /v1/send, "messages[3]" in a batch). */
export function readSendMessage(value: unknown, at: string, limits: SendLimits): SendMessage {
  const path = (key: string): string => (at === '' ? key : `${at}.${key}`);
  if (!isJsonObject(value)) throw badField(at === '' ? 'body' : at, `must be a JSON object, got ${jsonType(value)}`);
  for (const key of Object.keys(value)) {
    if (!(MESSAGE_FIELDS as readonly string[]).includes(key)) throw badField(path(key), `unknown field (allowed: ${MESSAGE_FIELDS.join(', ')})`);
  }
  let headerBytes = 0;
  const text = (key: string): string | null => {
    const v = value[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') throw badField(path(key), `must be a string, got ${jsonType(v)}`);
    return v;
  };
  const line = (key: string): string | null => {
    const v = text(key);
    if (v !== null && CONTROL.test(v)) throw badField(path(key), 'must not contain line breaks or other control characters');
    if (v !== null) headerBytes += Buffer.byteLength(v, 'utf8');
    return v;
  };
  const mailbox = (key: string): Mailbox | null => {
    const v = value[key];
    if (v === undefined || v === null) return null;
    const m = readMailbox(v, path(key), false);
    headerBytes += Buffer.byteLength(m.address ?? '', 'utf8') + Buffer.byteLength(m.name ?? '', 'utf8');
    return m;
  };

  const from = mailbox('from');
  const replyTo = mailbox('replyTo');
  const rawTo = value['to'];
  if (!Array.isArray(rawTo)) throw badField(path('to'), rawTo === undefined || rawTo === null ? 'is required (a list of { "email", "name" })' : `must be an array, got ${jsonType(rawTo)}`);
  if (rawTo.length === 0) throw badField(path('to'), 'must list at least one recipient');
  if (rawTo.length > limits.maxRecipients) throw new ApiRefusal(400, 550, '5.5.3', `too many recipients: ${rawTo.length}, at most ${limits.maxRecipients} per message (limits.maxRecipients)`, path('to'));
  const to = rawTo.map((entry: unknown, i) => readMailbox(entry, `${path('to')}[${i}]`, true));
  for (const m of to) headerBytes += Buffer.byteLength(m.address!, 'utf8') + Buffer.byteLength(m.name ?? '', 'utf8');

  const headers: KeptHeaders = {
    from,
    to,
    subject: line('subject'),
    replyTo,
    tag: line('tag'),
    route: line('route'),
    template: line('template'),
    variables: value['variables'] === undefined ? null : templateJsonText(value['variables']),
    track: line('track'),
    // The key came in the request's headers and chose the session's account; a body cannot name another.
    apiKey: null,
  };
  const html = text('html');
  const plain = text('text');
  const htmlBytes = html === null ? 0 : Buffer.byteLength(html, 'utf8');
  const textBytes = plain === null ? 0 : Buffer.byteLength(plain, 'utf8');
  const bytes = headerBytes + htmlBytes + textBytes + (headers.variables === null ? 0 : Buffer.byteLength(headers.variables, 'utf8'));
  return {
    recipients: to.map((m) => m.address!),
    bytes,
    message: () => {
      // The same limits, with the same errors, the MIME parser applies to an SMTP message's header block and body.
      if (headerBytes > limits.maxHeaderBytes) throw new MimeLimitError('maxHeaderBytes', limits.maxHeaderBytes, 'header fields (from, to, subject, replyTo, tag, route, template, track)');
      if (htmlBytes > limits.maxHtmlBytes) throw new MimeLimitError('maxHtmlBytes', limits.maxHtmlBytes, 'html');
      if (textBytes > limits.maxHtmlBytes) throw new MimeLimitError('maxHtmlBytes', limits.maxHtmlBytes, 'text');
      // SMTP keeps the plain text only when there is no HTML (RFC 8621 selection); the same here.
      return { html, text: html === null ? plain : null, headers, dropped: [] };
    },
  };
}

/**
 * `{ "email", "name" }`, or a string: for a recipient, the bare address; for from and replyTo, an address as a
 * header would carry it ("Shop <shop@example.com>"), read by the same parser SMTP's From goes through.
 */
function readMailbox(v: unknown, field: string, recipient: boolean): Mailbox {
  if (typeof v === 'string') {
    if (CONTROL.test(v)) throw badField(field, 'must not contain line breaks or other control characters');
    if (recipient) return { name: null, address: checkAddress(v, field) };
    if (v.trim() === '') throw badField(field, 'must not be empty');
    return parseAddressList(v)[0] ?? { name: v.trim(), address: null };
  }
  if (!isJsonObject(v)) throw badField(field, `must be an object { "email", "name" } or a string, got ${jsonType(v)}`);
  for (const key of Object.keys(v)) {
    if (!(MAILBOX_FIELDS as readonly string[]).includes(key)) throw badField(`${field}.${key}`, `unknown field (allowed: ${MAILBOX_FIELDS.join(', ')})`);
  }
  const email = v['email'];
  if (typeof email !== 'string') throw badField(`${field}.email`, email === undefined || email === null ? 'is required' : `must be a string, got ${jsonType(email)}`);
  const name = v['name'];
  if (name !== undefined && name !== null && typeof name !== 'string') throw badField(`${field}.name`, `must be a string, got ${jsonType(name)}`);
  if (typeof name === 'string' && CONTROL.test(name)) throw badField(`${field}.name`, 'must not contain line breaks or other control characters');
  const address = recipient ? checkAddress(email, `${field}.email`) : email;
  if (!recipient && CONTROL.test(address)) throw badField(`${field}.email`, 'must not contain line breaks or other control characters');
  return { name: typeof name === 'string' && name.trim() !== '' ? name.trim() : null, address };
}

/** A recipient address, by the rules RCPT TO applies (RFC 5321 §4.1.2; UTF-8 allowed, as with SMTPUTF8). */
function checkAddress(email: string, field: string): string {
  const wrapped = `<${email}>`;
  const path = parsePath(wrapped, 0, false, false);
  if (path instanceof PathSyntaxError) throw new ApiRefusal(400, 501, '5.1.3', `bad recipient address syntax: ${path.reason}`, field);
  if (path.end !== wrapped.length) throw new ApiRefusal(400, 501, '5.1.3', 'bad recipient address syntax: text after the address', field);
  return path.address;
}
