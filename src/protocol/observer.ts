// What the engine reports as it runs, for metrics: a narrow interface so src/protocol knows no metrics library.

export interface SmtpObserver {
  sessionOpened(): void;
  /** `reason` is the session log line's `end` field (quit, timeout, deadline, too-many-errors, ...). */
  sessionClosed(reason: string): void;
  /** Every reply written, by its basic code. */
  reply(code: number): void;
  /** A completed STARTTLS handshake by protocol version, or "failed". */
  tlsHandshake(version: string): void;
  /** A limit refused or cut a session (maxConnections, too-many-errors, timeout, data-rate, ...). */
  limitHit(name: string): void;
}

export const silentObserver: SmtpObserver = {
  sessionOpened() {},
  sessionClosed() {},
  reply() {},
  tlsHandshake() {},
  limitHit() {},
};

/** Session end reasons that mean a limit or deadline ended the session. */
export const LIMIT_END_REASONS: ReadonlySet<string> = new Set([
  'too-many-connections',
  'too-many-errors',
  'too-many-auth-failures',
  'auth-rate-limit',
  'timeout',
  'deadline',
  'data-rate',
]);
