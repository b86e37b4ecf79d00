// A route delivers outbound messages somewhere (a smarthost, a folder, later a webhook or direct MX).
// The delivery scheduler only sees this interface; each route type lives in its own route-<type>.ts file.

/** One recipient's copy of a message: its own composed .eml. */
export interface OutboundRecipient {
  address: string;
  body: Buffer;
  /** Position of this recipient in the spooled message (stable across retries of a subset); default: position here. */
  index?: number;
}

/** What a route receives: one accepted SMTP message, fanned out to its recipients. */
export interface OutboundMessage {
  /** The spool id ([A-Za-z0-9_-]{1,64}). */
  id: string;
  /** Envelope sender. */
  from: string;
  recipients: OutboundRecipient[];
}

/**
 * The envelope sender of one recipient's copy, for a route with a `returnPath` (VERP, issue 16 §2): made from the
 * message's spool id and the recipient's index, so a report mailed back to it names both.
 */
export type ReturnPathOf = (id: string, index: number) => string;

/** Signs VERP addresses (feedback/verp-address.ts's VerpSigner); the route factory needs only this. */
export interface ReturnPathSigner {
  address(domain: string, id: string, index: number): string;
}

export type DeliveryStatus = 'delivered' | 'deferred' | 'failed';

/** The result for one recipient, in the order of OutboundMessage.recipients. */
export interface RecipientOutcome {
  recipient: string;
  /** delivered: done; deferred: try again later (4xx, connection failure); failed: permanent (5xx). */
  status: DeliveryStatus;
  /** The upstream reply or the local reason, for the event log. */
  reply?: string;
  /**
   * For a failure: whether it is a hard bounce (the address is suppressed). Absent: any 5xx reply counts as one.
   * A route sets it when it knows better (a 5xx to the content is not the address's fault).
   */
  hardBounce?: boolean;
  /** The destination the attempt went to (mx: its set of MX hosts), for the event and the per-destination metrics. */
  destination?: string;
}

/** What /api/queue shows of one destination of a route that has them (mx). */
export interface RouteDestinationState {
  destination: string;
  /** Deliveries waiting for a connection slot. */
  waiting: number;
  /** Connections open or being opened. */
  connections: number;
  idle: number;
  lastError: string | null;
  /** ISO time, or null when not paused. */
  pausedUntil: string | null;
}

export interface Route {
  readonly name: string;
  readonly type: string;
  /** Delivers every recipient; resolves with one outcome per recipient (a route reports failures, it does not throw them). */
  deliver(msg: OutboundMessage): Promise<RecipientOutcome[]>;
  /** Per destination, for routes that pool connections per destination (mx); absent elsewhere. */
  destinations?(): RouteDestinationState[];
  /** Releases connections and files; deliver is not called afterwards. */
  close(): Promise<void>;
}
