// Non-standard bounces: the notices Exim, qmail, Postfix (without DSN), Sendmail, Exchange, Gmail, Yahoo,
// Office 365, Amazon SES and others write in prose. Recognised by their well-known sender, subject and opening
// words; the recipients are the addresses named in the error text, before the copy of the original message.
import { parseAddressList } from '../../mime/addresses.js';
import { headerValue, parseHeaderFields } from '../../mime/part-visitor.js';

type Headers = ReadonlyArray<readonly [string, string]>;

export interface BounceText {
  subject: string;
  /** All the report's own text (plain parts, or HTML as text). */
  body: string;
  /** The body before the copy of the original message: where the errors are. */
  error: string;
  /** The original's header fields when the bounce quotes them inline, else null. */
  original: Array<[string, string]> | null;
}

const BOUNCE_FROM = /mailer-daemon|postmaster|mail ?delivery|mail administrator|mailer@|mail ?system|bounce|daemon@|microsoftexchange|nobody@|MAILER_DAEMON/i;

const BOUNCE_SUBJECT =
  /undeliver|undelivered|delivery (?:status notification|failure|failed|notification|has failed|problem|report)|failure notice|failed delivery|returned mail|mail delivery (?:failed|failure|system)|could not be delivered|non[- ]?deliver|nondeliverable|delivery unsuccessful|rejected|mail system error|returned to sender|delivery status|warning: could not send|delayed mail|message delayed|not delivered|unable to deliver|message you sent|bounce|\bNDN\b|\bNDR\b/i;

/** Opening words of the common servers' notices (each one a known shape; the name is for the reader). */
const BOUNCE_BODY: ReadonlyArray<readonly [string, RegExp]> = [
  ['Postfix', /This is the mail system at host|I'm sorry to have to inform you that your message could not/i],
  ['qmail', /Hi\. This is the qmail-send program|I'm afraid I wasn't able to deliver your message/i],
  ['Exim', /A message that you sent could not be delivered|This message was created automatically by mail delivery software|has not yet been delivered/i],
  ['Sendmail', /The original message was received at|The following addresses had (?:permanent fatal|delivery) errors|Transcript of session follows/i],
  ['Exchange', /The following message to <[^>]*> was undeliverable|Delivery has failed to these recipients|Your message did not reach some or all of the intended recipients|Your message couldn'?t be delivered|Delivery is delayed to these recipients/i],
  ['Gmail', /Delivery to the following recipients? failed|The email account that you tried to reach|Message not delivered|Address not found/i],
  ['Yahoo', /Sorry, we were unable to deliver your message to the following address/i],
  ['Amazon SES', /An error occurred while trying to deliver the mail to the following recipients/i],
  ['generic', /could not be delivered|was not delivered|unable to deliver|undeliverable|delivery (?:to the following|has failed|failed)|permanent(?:ly)? (?:error|fatal|failure)|has been (?:rejected|returned)|returned to (?:you|sender)|user unknown|mailbox (?:is )?full|giving up|delivery (?:attempts|time) (?:will continue|expired)/i],
];

/** Lines at which the copy of the original message starts in the common notices (not Sendmail's opening line, "The original message was received at"). */
const ORIGINAL_MARKER =
  /^[ \t>]*(?:[-=_*]+ ?)?(?:This is a copy of|Below this line is a copy|(?:the )?original message|Original-?message|Undelivered message|The (?:original|attached|first|returned) message|Message headers follow|Included is a copy|Your message reads|Returned message|Headers? of (?:the )?(?:original|returned)|Content-Type: (?:message\/rfc822|text\/rfc822-headers)|Reporting-MTA:)(?! was received)/im;
/** Where quoted headers start when no marker says so. */
const HEADER_START = /^(?:Return-Path|Received|Message-ID|From|Date|Subject|To|X-[\w-]+|DKIM-Signature|MIME-Version): /im;

export function originalHeadersInText(body: string): { error: string; original: Array<[string, string]> | null } {
  const marker = ORIGINAL_MARKER.exec(body);
  if (marker === null) return { error: body, original: null };
  const error = body.slice(0, marker.index);
  const rest = body.slice(marker.index + marker[0].length);
  const start = HEADER_START.exec(rest);
  if (start === null) return { error, original: null };
  const fields = parseHeaderFields(Buffer.from(rest.slice(start.index).replace(/^[ \t]*>[ \t]?/gm, ''), 'utf8'));
  return { error, original: fields.length > 0 ? fields : null };
}

export function isBounceShape(root: Headers, text: BounceText): boolean {
  if (BOUNCE_BODY.some(([, re]) => re.test(text.error))) return true;
  const from = headerValue(root, 'from') ?? '';
  return BOUNCE_FROM.test(from) && BOUNCE_SUBJECT.test(text.subject);
}

// An unquoted local part starts where a token starts (the lookbehind): a long run of local-part characters is
// tried once, not from each of its positions (linear, where each start would rescan up to 400 characters).
const ADDRESS = /<?((?:"[^"\r\n]{1,200}"|(?<![^\s<>"@:;,()[\]'`])[^\s<>"@:;,()[\]'`=]{1,200}(?:=[^\s<>"@:;,()[\]'`]{0,200})?)@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{2,63})>?/g;
/** Addresses a bounce names that are never the failed recipient. */
const NOT_RECIPIENT = /^(?:mailer-daemon|postmaster|mail-daemon|noreply|no-reply|abuse|root|double-bounce)@/i;

function addressesOf(headers: Headers, name: string): string[] {
  const v = headerValue(headers, name);
  return v === null ? [] : parseAddressList(v).flatMap((m) => (m.address === null ? [] : [m.address.toLowerCase()]));
}

/**
 * The failed recipients a prose bounce names, each with the error lines that follow it. Addresses of the
 * sender (the bounce's To, the original's From) and of the reporting system are never recipients.
 */
export function findBounceRecipients(text: BounceText, original: Headers, root: Headers): Array<{ recipient: string | null; diagnostic: string | null }> {
  const exclude = new Set([...addressesOf(root, 'to'), ...addressesOf(root, 'from'), ...addressesOf(original, 'from'), ...addressesOf(original, 'return-path')]);
  const error = text.error;
  const hits: Array<{ address: string; index: number; end: number }> = [];
  const seen = new Set<string>();
  for (const m of error.matchAll(ADDRESS)) {
    const address = m[1]!.replace(/\.$/, '');
    const key = address.toLowerCase();
    if (NOT_RECIPIENT.test(address) || exclude.has(key) || seen.has(key)) continue;
    // "... from <sender>" / "sent by" / "Reporting-MTA" lines name the sender or a host, not a recipient.
    const lineStart = error.lastIndexOf('\n', m.index) + 1;
    const before = error.slice(lineStart, m.index);
    if (/(?:\bfrom|sender|sent by|envelope-from|Reply-To)[:\s]*["']?$/i.test(before) && !/\bto\b/i.test(before)) continue;
    seen.add(key);
    hits.push({ address, index: m.index, end: m.index + m[0].length });
  }
  const originalTo = addressesOf(original, 'to');
  if (hits.length === 0) {
    const first = originalTo[0] ?? null;
    return first === null ? [] : [{ recipient: first, diagnostic: errorLines(error) }];
  }
  return hits.map((h, i) => {
    const next = hits[i + 1]?.index ?? error.length;
    let diagnostic = errorLines(error.slice(h.end, next));
    // Some notices put the reason before the address ("550 5.1.1 <a@b>: Recipient address rejected").
    const lineStart = error.lastIndexOf('\n', h.index) + 1;
    const lead = error.slice(lineStart, h.index);
    if (/\d/.test(lead)) diagnostic = errorLines(lead + ' ' + (diagnostic ?? ''));
    // No reply code near the address: the notice states the error once for all (before or after the list).
    if (diagnostic === null || !/[A-Za-z]{3}/.test(diagnostic) || (!HAS_CODE.test(diagnostic) && HAS_CODE.test(error))) diagnostic = errorLines(error);
    return { recipient: h.address, diagnostic };
  });
}

const HAS_CODE = /(?:^|\s)[245]\d\d[\s-]|\b[245]\.\d{1,3}\.\d{1,3}\b/;

/** The error text as one line, at most 1000 characters. */
function errorLines(s: string): string | null {
  const t = s
    .replace(/^[\s:>)]+/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (t === '') return null;
  return t.length > 1000 ? t.slice(0, 1000) : t;
}
