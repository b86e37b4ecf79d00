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
