// Builds the outbound message: a single text/html part, UTF-8, clean headers (RFC 5322, RFC 2045, RFC 2047).

export interface ComposeMailbox {
  name?: string | null;
  address: string;
}

export interface ComposeInput {
  from: ComposeMailbox;
  to: ComposeMailbox;
  replyTo?: ComposeMailbox | null;
  subject: string;
  html: string;
  /** Without angle brackets; default `<random>@<hostname>`. */
  messageId?: string;
  date?: Date;
  /** Right-hand side of the generated Message-ID; default os.hostname(). */
  hostname?: string;
}

export function composeMessage(_input: ComposeInput): Buffer {
  throw new Error('composeMessage: not implemented yet');
}
