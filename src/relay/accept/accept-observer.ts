// What the accept path reports about messages, as the engine's SmtpObserver does about sessions: a narrow
// interface the accept path calls and the admin's RelayMetrics implements, so accept/ never imports admin/.

export interface AcceptObserver {
  /** A message was durably spooled. */
  messageAccepted(account: string, tag: string, bytes: number, recipients: number): void;
  /** A message was refused at the end of DATA with this SMTP reply code. */
  messageRejected(code: number): void;
  /** A limit refused a message, by its configuration name (e.g. "account_rate"). */
  limitHit(name: string): void;
}

