// Turns a message into the bytes sent after 354: dot-stuffed (RFC 5321 §4.5.2) and ended by <CRLF>.<CRLF>.
const DOT = 0x2e;
const END_AFTER_CRLF = Buffer.from('.\r\n');
const END_WITH_CRLF = Buffer.from('\r\n.\r\n');

function endsWithCrlf(b: Buffer): boolean {
  return b.length >= 2 && b[b.length - 2] === 0x0d && b[b.length - 1] === 0x0a;
}

/** Doubles every dot that starts a line. Most messages have none, so they are returned untouched. */
export function dotStuff(message: Buffer): Buffer {
  if (message[0] !== DOT && message.indexOf('\n.') < 0) return message;
  const parts: Buffer[] = [];
  let from = 0;
  if (message[0] === DOT) {
    parts.push(Buffer.from('.'));
  }
  for (let at = message.indexOf('\n.'); at >= 0; at = message.indexOf('\n.', at + 1)) {
    parts.push(message.subarray(from, at + 1), Buffer.from('.'));
    from = at + 1;
  }
  parts.push(message.subarray(from));
  return Buffer.concat(parts);
}

/** The pieces to write after 354: the stuffed message and the terminating dot line. */
export function dataPayload(message: Buffer): [Buffer, Buffer] {
  return [dotStuff(message), endsWithCrlf(message) ? END_AFTER_CRLF : END_WITH_CRLF];
}
