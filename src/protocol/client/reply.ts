// A reply as the client received it: the value type the reader produces and the errors carry (a leaf module).

/** A reply as the client received it. */
export interface ClientReply {
  code: number;
  /** RFC 3463 enhanced status code of the first line ("5.1.1"), or null when the server sent none. */
  enhanced: string | null;
  /** The text of every line, without the "ddd-" / "ddd " prefix. */
  lines: string[];
}

/** A reply in one line for logs and events: "550 5.1.1 No such user" (lines of a multi-line reply joined by " / "). */
export function formatClientReply(reply: ClientReply): string {
  return reply.lines.length === 0 ? String(reply.code) : `${reply.code} ${reply.lines.join(' / ')}`;
}

export function isPositive(reply: ClientReply): boolean {
  return reply.code >= 200 && reply.code < 400;
}
