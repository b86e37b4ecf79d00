// One reply type travels from the backend to the wire unchanged (go-smtp's SMTPError, chasquid's (code, msg)).

/** An SMTP reply: basic code, RFC 3463 enhanced code ("2.0.0") and text (one line, or several). */
export interface SmtpReply {
  code: number;
  enhanced: string;
  text: string | readonly string[];
}

/** An error that carries the SMTP reply the client must see. Anything else thrown by a backend becomes 451 4.3.0. */
export class SmtpError extends Error {
  readonly code: number;
  readonly enhanced: string;
  readonly text: string | readonly string[];

  constructor(code: number, enhanced: string, text: string | readonly string[]) {
    super(`${code} ${enhanced} ${Array.isArray(text) ? text.join(' / ') : text}`);
    this.name = 'SmtpError';
    this.code = code;
    this.enhanced = enhanced;
    this.text = text;
  }

  get reply(): SmtpReply {
    return { code: this.code, enhanced: this.enhanced, text: this.text };
  }
}

export function isSmtpError(e: unknown): e is SmtpError {
  return e instanceof SmtpError;
}

/**
 * Wire form of a reply (RFC 5321 §4.2.1: "code-" on every line but the last, "code " on the last).
 * The enhanced code (RFC 3463 / RFC 2034) prefixes every line; an empty `enhanced` leaves it out,
 * as RFC 2034 §3 asks for the greeting and the EHLO/HELO responses.
 */
export function formatReply(reply: SmtpReply): string {
  const prefix = reply.enhanced === '' ? '' : reply.enhanced + ' ';
  const text = reply.text;
  if (typeof text === 'string') return `${reply.code} ${prefix}${oneLine(text)}\r\n`;
  let out = '';
  const last = text.length - 1;
  for (let i = 0; i < last; i++) out += `${reply.code}-${prefix}${oneLine(text[i]!)}\r\n`;
  return out + `${reply.code} ${prefix}${last >= 0 ? oneLine(text[last]!) : ''}\r\n`;
}

/** A CR or LF inside reply text (e.g. an upstream server's text passed through) would forge extra replies. */
function oneLine(text: string): string {
  return text.indexOf('\r') < 0 && text.indexOf('\n') < 0 ? text : text.replace(/[\r\n]+/g, ' ');
}

/** A reply value, for the engine's constant replies. */
export function smtpReply(code: number, enhanced: string, text: string | readonly string[]): SmtpReply {
  return { code, enhanced, text };
}
