// What the parser keeps from a message: the shapes the relay and `txrelay inspect` consume.

/**
 * One entry of an address header. `name` is the decoded display name, null when the entry has none. `address` is
 * null for an entry without an "@" (a bare phrase, a quoted string or encoded words): a display name only, the
 * way the relay's To header names recipients (SPEC §3). A quoted local part is kept unquoted ("a b"@x is a b@x).
 */
export interface Mailbox {
  name: string | null;
  address: string | null;
}

/** The headers the relay keeps, decoded (RFC 2047, unfolded). A header absent from the message is null. */
export interface KeptHeaders {
  /** First mailbox of the first From header. */
  from: Mailbox | null;
  /** Every entry of the first To header, in header order, groups flattened; [] when there is no To header. */
  to: Mailbox[];
  subject: string | null;
  /** First mailbox of the first Reply-To header. */
  replyTo: Mailbox | null;
  /** X-Transactional-Tag, as written (the relay trims and validates it). */
  tag: string | null;
  /** X-Transactional-Route. */
  route: string | null;
  /** X-Transactional-Template. */
  template: string | null;
  /** X-Transactional-Variables, the raw JSON text (the relay parses it). */
  variables: string | null;
  /** X-Transactional-Track (none, opens, clicks, all), as written (the relay validates it). */
  track: string | null;
  /** X-Auth-APIKey, trimmed. */
  apiKey: string | null;
}

/** A leaf part that is not the HTML body. */
export interface DroppedPart {
  /** Lower-cased media type, e.g. "application/pdf" ("text/plain" when the part has no Content-Type). */
  type: string;
  /** Lower-cased Content-Disposition type ("attachment", "inline") or null. */
  disposition: string | null;
  /** Decoded filename (RFC 2231 / RFC 2047), from Content-Disposition filename or Content-Type name, or null. */
  filename: string | null;
  /** Raw size of the part's body as transmitted, in bytes (before transfer decoding: parts are skipped, not decoded). */
  size: number;
}

export interface ParsedMessage {
  /** The HTML body (RFC 8621 §4.1.4 selection), transfer- and charset-decoded; null when there is none. */
  html: string | null;
  /** The first text/plain body part, decoded, when there is no HTML body; null otherwise. */
  text: string | null;
  headers: KeptHeaders;
  /** Every leaf part except the HTML body, in message order (message/rfc822 parts count as one leaf). */
  dropped: DroppedPart[];
}
