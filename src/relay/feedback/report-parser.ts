// Reads a report mailed back to the envelope sender and says, per recipient, what happened. Built on the
// streaming MIME parser with a PartVisitor: each entity's header fields and decoded body (cut at a limit) are
// collected while the message streams in; classification runs once at the end, on bounded data.
//
// Shapes, tried in this order (the first that names a recipient wins):
//   1. RFC 5965 ARF (a message/feedback-report part): a complaint per Original-Rcpt-To, else per attached To.
//   2. RFC 3798/8098 read notices (message/disposition-notification): ignored, no record.
//   3. RFC 3464 DSN (message/delivery-status): one record per failed or delayed recipient field group.
//   4. Non-standard bounces (bounce-shapes.ts): recognised by sender, subject and the body's well-known words.
//   5. RFC 3834 auto-replies: one "autoreply" record for the person who answered.
// Anything else yields no record.
import { MessageParser } from '../../mime/message-parser.js';
import { DEFAULT_MIME_LIMITS, type MimeLimits } from '../../mime/limits.js';
import { headerValue, parseHeaderFields, type VisitedPart } from '../../mime/part-visitor.js';
import { parseAddressList } from '../../mime/addresses.js';
import { decodeEncodedWords } from '../../mime/encoded-words.js';
import { decodeCharset } from '../../mime/charset.js';
import { isHardReason, type FeedbackReason, type FeedbackRecord } from './feedback-record.js';
import { reasonFor, smtpStageIn, statusForClass } from './reason.js';
import { findBounceRecipients, isBounceShape, originalHeadersInText, type BounceText } from './bounce-shapes.js';

/** Bounds on what one report may make the parser hold or do. */
export interface ReportLimits extends MimeLimits {
  /** Decoded bytes kept per part (the rest of a large attachment is scanned and dropped). */
  maxBodyBytes: number;
}

export const DEFAULT_REPORT_LIMITS: Readonly<ReportLimits> = Object.freeze({
  ...DEFAULT_MIME_LIMITS,
  maxParts: 100,
  maxDepth: 16,
  maxHeaderBytes: 64 * 1024,
  maxHtmlBytes: 1024 * 1024,
  maxBodyBytes: 128 * 1024,
});

type Headers = ReadonlyArray<readonly [string, string]>;

/**
 * Push parser for one report: `write` chunks as they arrive, `end` for the records. Throws only MimeLimitError
 * (from write or end) when the message passes a limit.
 */
export class ReportParser {
  private readonly parts: VisitedPart[] = [];
  private readonly mime: MessageParser;

  constructor(limits?: Partial<ReportLimits>) {
    const { maxBodyBytes, ...mime } = { ...DEFAULT_REPORT_LIMITS, ...limits };
    this.mime = new MessageParser(mime, { maxBodyBytes, onPart: (p) => this.parts.push(p) });
  }

  write(chunk: Buffer): void {
    this.mime.write(chunk);
  }

  end(): FeedbackRecord[] {
    this.mime.end();
    return classifyReport(this.parts);
  }
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Parses a report given whole or as chunks. Rejects only with MimeLimitError. */
export async function parseReport(
  input: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  limits?: Partial<ReportLimits>,
): Promise<FeedbackRecord[]> {
  if (input instanceof Uint8Array || Symbol.iterator in Object(input)) return parseReportSync(input as Uint8Array | Iterable<Uint8Array>, limits);
  const parser = new ReportParser(limits);
  for await (const chunk of input as AsyncIterable<Uint8Array>) parser.write(asBuffer(chunk));
  return parser.end();
}

export function parseReportSync(input: Uint8Array | Iterable<Uint8Array>, limits?: Partial<ReportLimits>): FeedbackRecord[] {
  const parser = new ReportParser(limits);
  if (input instanceof Uint8Array) parser.write(asBuffer(input));
  else for (const chunk of input) parser.write(asBuffer(chunk));
  return parser.end();
}

// ---- classification ---------------------------------------------------------------------------------

const ORIGINAL_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/global-headers', 'message/partial']);
const DSN_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const MDN_TYPES = new Set(['message/disposition-notification', 'message/global-disposition-notification']);

/** The records a report's visited parts amount to (exported for tests that build parts by hand). */
export function classifyReport(parts: readonly VisitedPart[]): FeedbackRecord[] {
  const root = parts[0];
  if (root === undefined) return [];
  const originalPart = parts.find((p) => ORIGINAL_TYPES.has(p.type));
  const text = bounceText(parts, root);
  let original: Headers = originalPart === undefined ? [] : parseHeaderFields(originalPart.body);
  if (original.length === 0 && text.original !== null) original = text.original;
  const messageId = messageIdOf(original);

  const arf = parts.find((p) => p.type === 'message/feedback-report');
  if (arf !== undefined) return complaints(arf, original, messageId);
  if (parts.some((p) => MDN_TYPES.has(p.type))) return [];
  const dsn = parts.find((p) => DSN_TYPES.has(p.type));
  if (dsn !== undefined) {
    const body = dsn.body.toString('utf8');
    const records = deliveryStatus(body, messageId, text, original, root.headers);
    // A DSN that names its recipients is the whole answer, even when none of them failed.
    if (records.length > 0 || namesRecipients(body)) return records;
  }
  const inline = inlineDeliveryStatus(text.body);
  if (inline !== null) {
    const records = deliveryStatus(inline, messageId, text, original, root.headers);
    if (records.length > 0) return records;
  }
  if (isBounceShape(root.headers, text)) {
    const records = nonStandardBounce(text, original, root.headers, messageId);
    if (records.length > 0) return records;
  }
  if (isAutoReply(root.headers)) return [autoReply(root.headers, messageId)];
  return [];
}

function messageIdOf(headers: Headers): string | null {
  const v = headerValue(headers, 'message-id');
  if (v === null) return null;
  const m = /<([^<>\s]+)>/.exec(v);
  const id = m !== null ? m[1]! : v.trim();
  return id === '' ? null : id;
}

/** "rfc822; addr" (RFC 3464 §2.3.2) or a bare address: the address, without angle brackets. */
function typedAddress(v: string | null): string | null {
  if (v === null) return null;
  const semi = v.indexOf(';');
  let a = (semi >= 0 ? v.slice(semi + 1) : v).trim();
  const lt = a.indexOf('<');
  if (lt >= 0) a = a.slice(lt + 1, a.indexOf('>', lt) > lt ? a.indexOf('>', lt) : undefined);
  a = a.trim();
  return a === '' ? null : a;
}

const STATUS_RE = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;
const REPLY_RE = /(?:^|[\s(:"'])([245][0-5]\d)(?=[\s-]|$)/;

export function statusIn(text: string | null): string | null {
  if (text === null) return null;
  const m = STATUS_RE.exec(text);
  return m === null ? null : `${m[1]}.${m[2]}.${m[3]}`;
}

/**
 * RFC 3464 §2.2: field groups separated by empty lines. Some MTAs omit the empty line between recipients,
 * so a second Final-Recipient (or Original-Recipient) in one group starts the next recipient.
 */
function recipientGroups(body: string): Array<Array<[string, string]>> {
  const out: Array<Array<[string, string]>> = [];
  for (const group of body.split(/\r?\n[ \t]*\r?\n/)) {
    let current: Array<[string, string]> = [];
    for (const field of parseHeaderFields(Buffer.from(group.replace(/^\s*\r?\n/, ''), 'utf8'))) {
      const [name] = field;
      if ((name === 'final-recipient' || name === 'original-recipient') && current.some(([n]) => n === name)) {
        out.push(current);
        current = [];
      }
      current.push(field);
    }
    out.push(current);
  }
  return out;
}

function namesRecipients(body: string): boolean {
  return recipientGroups(body).some((g) => g.some(([n]) => n === 'final-recipient' || n === 'original-recipient'));
}

function lastStatusIn(text: string | null): string | null {
  if (text === null) return null;
  let last: string | null = null;
  for (const m of text.matchAll(new RegExp(STATUS_RE.source, 'g'))) last = `${m[1]}.${m[2]}.${m[3]}`;
  return last;
}

/** RFC 3464 fields quoted in the text (a forwarded bounce, a report without its MIME structure), or null. */
function inlineDeliveryStatus(body: string): string | null {
  const m = /^[> \t]*(?:Reporting-MTA|Final-Recipient):/im.exec(body);
  if (m === null) return null;
  return body.slice(m.index).replace(/^[ \t]*>[ \t]?/gm, '');
}

export function replyCodeIn(text: string | null): string | null {
  if (text === null) return null;
  const m = REPLY_RE.exec(text);
  return m === null ? null : m[1]!;
}

function oneLine(s: string | null, max = 1000): string | null {
  if (s === null) return null;
  const t = s.replace(/\s+/g, ' ').trim();
  if (t === '') return null;
  return t.length > max ? t.slice(0, max) : t;
}

/** RFC 3464 §2.2-2.3: groups of fields separated by empty lines; the first is per message, the rest per recipient. */
function deliveryStatus(body: string, messageId: string | null, text: BounceText, original: Headers, root: Headers): FeedbackRecord[] {
  const out: FeedbackRecord[] = [];
  let prose: ReturnType<typeof findBounceRecipients> | null = null;
  const groups = recipientGroups(body);
  // The stage named in the report's text, read once (not per recipient: a report may name thousands).
  let textStage: ReturnType<typeof smtpStageIn> | undefined;
  const reportingMta = groups.map((g) => headerValue(g, 'reporting-mta')).find((v) => v !== null) ?? '';
  for (const fields of groups) {
    let recipient = typedAddress(headerValue(fields, 'final-recipient')) ?? typedAddress(headerValue(fields, 'original-recipient'));
    if (recipient === null) continue;
    // Exim reports a delivery to a file or pipe ("save to /path ... generated by <address>") with the path as
    // Final-Recipient: the recipient is the address that generated it.
    if (!recipient.includes('@')) recipient = generatingAddress(text.error, recipient) ?? recipient;
    const action = (headerValue(fields, 'action') ?? '').trim().toLowerCase();
    if (action === 'delivered' || action === 'relayed' || action === 'expanded') continue;
    const diagnosticRaw = headerValue(fields, 'diagnostic-code');
    const semi = diagnosticRaw === null ? -1 : diagnosticRaw.indexOf(';');
    let diagnostic = oneLine(diagnosticRaw === null ? null : semi >= 0 && semi < 12 ? diagnosticRaw.slice(semi + 1) : diagnosticRaw);
    if (diagnostic === null) {
      // Some MTAs put the remote server's words only in the human-readable part.
      prose ??= findBounceRecipients(text, original, root);
      diagnostic = prose.find((p) => p.recipient !== null && p.recipient.toLowerCase() === recipient.toLowerCase())?.diagnostic ?? null;
    }
    let status = statusIn(headerValue(fields, 'status'));
    const inText = lastStatusIn(diagnostic);
    // The code the remote server wrote in its own reply is more precise than the reporting MTA's summary.
    if (inText !== null && (status === null || inText[0] === status[0])) status = inText;
    const replyCode = replyCodeIn(diagnostic);
    const temporary = action === 'delayed' || (status !== null ? status.startsWith('4') : replyCode !== null && replyCode.startsWith('4'));
    if (status === null) status = statusForClass(temporary);
    const stage = smtpStageIn(diagnostic) ?? (textStage === undefined ? (textStage = smtpStageIn(text.error)) : textStage);
    const mta = `${reportingMta} ${headerValue(fields, 'remote-mta') ?? ''} ${headerValue(root, 'from') ?? ''}`;
    const reason = mtaCategory(fields) ?? reasonFor(diagnostic, status, { stage, mta });
    out.push(deliveryRecord(temporary, recipient, status, replyCode, diagnostic, messageId, reason));
  }
  return out;
}

/** PowerMTA's own reading of the remote reply (X-PowerMTA-BounceCategory), where it names a reason plainly. */
const POWERMTA_CATEGORIES: Readonly<Record<string, FeedbackRecord['reason']>> = {
  'bad-mailbox': 'userunknown',
  'bad-domain': 'hostunknown',
  'inactive-mailbox': 'suspend',
  'quota-issues': 'mailboxfull',
  'message-expired': 'expired',
};

function mtaCategory(fields: Headers): FeedbackRecord['reason'] | null {
  const v = headerValue(fields, 'x-powermta-bouncecategory');
  return v === null ? null : (POWERMTA_CATEGORIES[v.trim().toLowerCase()] ?? null);
}

/** The address Exim names as having generated a delivery to `target` (a file or pipe), or null. */
function generatingAddress(error: string, target: string): string | null {
  const at = error.indexOf(target);
  if (at < 0) return null;
  const m = /^\s*generated by <?([^\s<>@]+@[^\s<>]+?)>?\s*$/m.exec(error.slice(at + target.length, at + target.length + 1000));
  return m === null ? null : m[1]!;
}

/** RFC 5965 §3.1: Original-Rcpt-To may repeat; without it the attached original's To names the recipient. */
function complaints(arf: VisitedPart, original: Headers, messageId: string | null): FeedbackRecord[] {
  const fields = parseHeaderFields(arf.body);
  const feedbackType = oneLine(headerValue(fields, 'feedback-type'));
  let recipients = fields.filter(([n]) => n === 'original-rcpt-to').map(([, v]) => typedAddress(v)).filter((a): a is string => a !== null);
  if (recipients.length === 0) {
    const to = headerValue(original, 'to');
    recipients = to === null ? [] : parseAddressList(to).flatMap((m) => (m.address === null ? [] : [m.address]));
  }
  const record = (recipient: string | null): FeedbackRecord => ({
    type: 'complaint',
    recipient,
    status: null,
    replyCode: null,
    diagnostic: feedbackType,
    hard: false,
    messageId,
    reason: 'feedback',
  });
  return recipients.length === 0 ? [record(null)] : [...new Set(recipients)].map(record);
}

const AUTO_SUBJECT = /out of (?:the )?office|auto(?:matic)?[ -]?(?:reply|response|antwort)|autoresponder|vacation|on leave|abwesen|absence|away from (?:the|my) office|r[ée]ponse automatique/i;

/** RFC 3834 §5 (Auto-Submitted), and the headers and subjects auto-responders use without it. */
function isAutoReply(headers: Headers): boolean {
  const auto = headerValue(headers, 'auto-submitted');
  if (auto !== null && /^\s*auto-(?:replied|generated)/i.test(auto)) return true;
  if (headerValue(headers, 'x-autoreply') !== null || headerValue(headers, 'x-autorespond') !== null || headerValue(headers, 'x-autoresponse') !== null) return true;
  const precedence = headerValue(headers, 'precedence');
  if (precedence !== null && /auto_reply/i.test(precedence)) return true;
  const subject = headerValue(headers, 'subject');
  return subject !== null && AUTO_SUBJECT.test(decodeEncodedWords(subject));
}

function autoReply(headers: Headers, messageId: string | null): FeedbackRecord {
  const from = headerValue(headers, 'from');
  const subject = headerValue(headers, 'subject');
  return {
    type: 'autoreply',
    recipient: from === null ? null : (parseAddressList(from)[0]?.address ?? null),
    status: null,
    replyCode: null,
    diagnostic: oneLine(subject === null ? null : decodeEncodedWords(subject)),
    hard: false,
    messageId,
    reason: 'vacation',
  };
}

/** The human-readable text of the report: its text parts outside any attached message, HTML as plain text when alone. */
function bounceText(parts: readonly VisitedPart[], root: VisitedPart): BounceText {
  const plain: string[] = [];
  const html: string[] = [];
  for (const p of parts) {
    // A multipart with a body is one whose delimiters never appear (stripped by a relay): its text is the report.
    if ((p.type === 'text/plain' || (p.type.startsWith('multipart/') && p.body.length > 0)) && p.depth <= 2) plain.push(decodeCharset(p.body, p.params.get('charset') ?? null));
    else if (p.type === 'text/html' && p.depth <= 2) html.push(htmlToText(decodeCharset(p.body, p.params.get('charset') ?? null)));
  }
  const body = plain.length > 0 ? plain.join('\n') : html.join('\n');
  const subjectRaw = headerValue(root.headers, 'subject');
  const subject = subjectRaw === null ? '' : decodeEncodedWords(subjectRaw);
  const { error, original } = originalHeadersInText(body);
  return { subject, body, error, original };
}

/** Script and style elements cut out with indexOf: a regex with a lazy [\s\S]*? is quadratic when they never close. */
function withoutScripts(html: string): string {
  const lower = html.toLowerCase();
  let out = '';
  let pos = 0;
  for (;;) {
    const s = lower.indexOf('<script', pos);
    const t = lower.indexOf('<style', pos);
    const open = s < 0 ? t : t < 0 ? s : Math.min(s, t);
    if (open < 0) return out + html.slice(pos);
    out += html.slice(pos, open) + ' ';
    const close = lower.indexOf(open === s ? '</script' : '</style', open);
    if (close < 0) return out;
    const gt = lower.indexOf('>', close);
    pos = gt < 0 ? lower.length : gt + 1;
  }
}

function htmlToText(html: string): string {
  // [^<>]: a tag never contains "<", so each scan stops at the next one (linear even with no ">" at all).
  return withoutScripts(html)
    .replace(/<br\s*\/?>|<\/(?:p|div|tr|li|h\d)>/gi, '\n')
    .replace(/<[^<>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&');
}

function nonStandardBounce(text: BounceText, original: Headers, root: Headers, messageId: string | null): FeedbackRecord[] {
  const found = findBounceRecipients(text, original, root);
  const temporaryText = /\b(?:will (?:continue to |be )?(?:retr(?:y|ied)|try)|not yet been delivered|still trying|delayed|warning:? message|temporar(?:y|ily) (?:deferred|failure)|retry (?:for|until))\b/i;
  const temporaryShape = temporaryText.test(text.subject) || temporaryText.test(text.error);
  const textStage = smtpStageIn(text.error);
  return found.map(({ recipient, diagnostic }) => {
    let status = statusIn(diagnostic);
    const replyCode = replyCodeIn(diagnostic);
    const permanentCode = (status !== null && status.startsWith('5')) || (replyCode !== null && replyCode.startsWith('5'));
    const temporary = !permanentCode && (temporaryShape || (status !== null && status.startsWith('4')) || (replyCode !== null && replyCode.startsWith('4')));
    if (status === null) status = statusForClass(temporary);
    const stage = smtpStageIn(diagnostic) ?? textStage;
    const reason = reasonFor(diagnostic, status, { stage, mta: headerValue(root, 'from') });
    return deliveryRecord(temporary, recipient, status, replyCode, diagnostic, messageId, reason);
  });
}

/** A bounce or delay record: hard only for a permanent failure whose reason means the address itself is bad. */
function deliveryRecord(
  temporary: boolean,
  recipient: string | null,
  status: string,
  replyCode: string | null,
  diagnostic: string | null,
  messageId: string | null,
  reason: FeedbackReason,
): FeedbackRecord {
  return { type: temporary ? 'delay' : 'bounce', recipient, status, replyCode, diagnostic, hard: !temporary && isHardReason(reason, status), messageId, reason };
}
