// The spool's public types: what enqueue takes, what the scheduler sees, the options, and the errors it rejects with.
import type { FileHandle } from 'node:fs/promises';
import { SmtpError } from '../../../protocol/index.js';

/** One outbound message: one recipient and the .eml composed for it. */
export interface SpoolRecipient {
  recipient: string;
  body: Buffer;
}

/** What the accept path hands to enqueue: everything one SMTP transaction produced. */
export interface SpoolMessage {
  /** Queue id ("queued as <id>"), [A-Za-z0-9_-]{1,64}; createSpoolId() makes one. */
  id: string;
  account: string;
  route: string;
  tag: string;
  /** The envelope sender used for delivery. */
  from: string;
  /** Milliseconds since the epoch; the queue age counts from here. */
  createdAt: number;
  recipients: SpoolRecipient[];
  /** Anything else worth keeping with the message (event details); JSON-serialisable. */
  meta?: Record<string, unknown>;
}

export type RecipientStatus = 'pending' | 'delivered' | 'failed';

/** Delivery state of one recipient, as the scheduler sees it. */
export interface SpoolRecipientState {
  readonly recipient: string;
  /** Body size in bytes. */
  readonly size: number;
  status: RecipientStatus;
  /** Deferrals so far. */
  attempts: number;
  /** Not before this time (ms since epoch); 0 = now. */
  nextAttemptAt: number;
  /** Last upstream reply, if any. */
  reply: string | null;
}

/** A message in the spool without its bodies (read them with spool.read(id)). */
export interface SpoolEntry {
  readonly id: string;
  readonly account: string;
  readonly route: string;
  readonly tag: string;
  readonly from: string;
  readonly createdAt: number;
  readonly meta: Record<string, unknown> | null;
  readonly recipients: readonly SpoolRecipientState[];
}

export interface DeliveryOutcome {
  status: 'delivered' | 'failed';
  reply?: string;
}

/** The fs operations the spool uses; injectable so tests can make a write fail (ENOSPC). */
export interface SpoolFs {
  open(path: string, flags: string, mode?: number): Promise<FileHandle>;
  readdir(path: string): Promise<string[]>;
  unlink(path: string): Promise<void>;
  mkdir(path: string, options: { recursive: true; mode?: number }): Promise<string | undefined>;
}

export interface SpoolOptions {
  fs?: SpoolFs;
  /** Bytes of segment files on disk (including finished messages not yet reclaimed); default 1 GiB. */
  maxPendingBytes?: number;
  /** Messages with a pending recipient, plus those being written; default 100000. */
  maxPendingMessages?: number;
  /** A segment is closed for appends once it reaches this size; default 8 MiB. */
  segmentBytes?: number;
  /**
   * A closed segment whose pending records are at most a quarter of it is compacted (its pending messages
   * copied forward) once it has been closed this long; default 60000. The wait spares messages that are
   * about to be delivered anyway.
   */
  compactAfterMs?: number;
  /**
   * Bytes of newly spooled messages (their records' size) kept in memory until their first read, so the first delivery
   * attempt does not read back what was just written; default 16 MiB, 0 turns it off (a relay that holds its
   * queue never reads). Past the bound, messages are simply not kept: read() goes to the file as always.
   */
  readCacheBytes?: number;
}

/** What open() found on disk. */
export interface SpoolRecovery {
  messages: number;
  /** Bytes cut off as torn records (a crash during a write). */
  tornBytes: number;
  /** Segments deleted because every message in them was finished. */
  reclaimedSegments: number;
}

// ---------------------------------------------------------------- errors

/** The spool could not make a message durable (disk full, I/O error). Nothing of it is kept. */
export class SpoolWriteError extends SmtpError {
  override readonly cause: unknown;
  constructor(message: string, cause?: unknown) {
    super(451, '4.3.0', 'Requested action aborted: local storage error, try again later');
    this.name = 'SpoolWriteError';
    this.message = `spool write failed: ${message}`;
    this.cause = cause;
  }
}

/** The spool is at its configured bound of bytes or messages. */
export class SpoolFullError extends SmtpError {
  constructor(what: string) {
    super(451, '4.3.0', 'Requested action aborted: queue is full, try again later');
    this.name = 'SpoolFullError';
    this.message = `spool full: ${what}`;
  }
}

/** A message handed to enqueue is malformed (a programming error of the caller, not a client's). */
export class SpoolMessageError extends TypeError {
  constructor(field: string, reason: string) {
    super(`spool message ${field}: ${reason}`);
    this.name = 'SpoolMessageError';
  }
}

/** complete/defer/read named a message the spool does not hold. */
export class SpoolUnknownMessageError extends Error {
  constructor(id: string) {
    super(`spool has no message ${JSON.stringify(id)}`);
    this.name = 'SpoolUnknownMessageError';
  }
}
