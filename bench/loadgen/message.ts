// The default test message: a deterministic multipart/alternative (text + HTML) of a fixed size.
// Only the Subject and Message-ID carry the message index, so every message has the same length.

/** Builds message `index` (headers + body, CRLF line ends, not dot-stuffed). */
export type MessageBuilder = (index: number) => Buffer;

export interface DefaultMessageOptions {
  /** Total size in bytes (default 2048). Sizes below the fixed headers (~600 bytes) yield the minimum. */
  size?: number;
  from?: string;
  to?: string;
}

const BOUNDARY = 'loadgen-boundary-7f3a';
const INDEX_WIDTH = 10;
const FILLER_WORDS = 'Your order has shipped and will arrive soon. Thank you for shopping with us. ';

function headerBlock(index: number, from: string, to: string): string {
  const id = String(index).padStart(INDEX_WIDTH, '0');
  return (
    `From: Load Generator <${from}>\r\n` +
    `To: Load Test <${to}>\r\n` +
    `Subject: Load test message ${id}\r\n` +
    `Message-ID: <${id}.loadgen@example.com>\r\n` +
    'Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n' +
    'MIME-Version: 1.0\r\n' +
    `Content-Type: multipart/alternative; boundary="${BOUNDARY}"\r\n` +
    '\r\n'
  );
}

/** Wrapped filler text of exactly `length` bytes (lines of at most 76 characters + CRLF). */
function filler(length: number): string {
  let out = '';
  while (out.length < length) {
    const room = length - out.length;
    if (room <= 2) {
      out += ' '.repeat(room);
      break;
    }
    const line = FILLER_WORDS.repeat(2).slice(0, Math.min(76, room - 2));
    out += line + '\r\n';
  }
  return out;
}

function bodyBlock(fillerBytes: number): string {
  // The HTML part gets two thirds of the filler, the text part the rest, as in a typical transactional mail.
  const htmlFill = Math.floor((fillerBytes * 2) / 3);
  const textFill = fillerBytes - htmlFill;
  return (
    `--${BOUNDARY}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    'Content-Transfer-Encoding: 7bit\r\n' +
    '\r\n' +
    'Hello,\r\n' +
    filler(textFill) +
    `\r\n--${BOUNDARY}\r\n` +
    'Content-Type: text/html; charset=utf-8\r\n' +
    'Content-Transfer-Encoding: 7bit\r\n' +
    '\r\n' +
    '<html><body><p>Hello,</p><p>\r\n' +
    filler(htmlFill) +
    '</p></body></html>\r\n' +
    `--${BOUNDARY}--\r\n`
  );
}

/** A builder of deterministic multipart/alternative messages of `size` bytes; the body bytes are shared. */
export function defaultMessageBuilder(options: DefaultMessageOptions = {}): MessageBuilder {
  const from = options.from ?? 'loadgen@example.com';
  const to = options.to ?? 'user0@example.net';
  const size = options.size ?? 2048;
  const headerBytes = Buffer.byteLength(headerBlock(0, from, to));
  const fixedBodyBytes = Buffer.byteLength(bodyBlock(0));
  const body = Buffer.from(bodyBlock(Math.max(0, size - headerBytes - fixedBodyBytes)));
  return (index) => {
    const header = Buffer.from(headerBlock(index, from, to), 'latin1');
    return Buffer.concat([header, body], header.length + body.length);
  };
}
