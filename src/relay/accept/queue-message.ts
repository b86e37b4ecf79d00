// What every way into the relay does with one message once it has its envelope and content (SMTP after DATA, the HTTP
// send API per message): policy and composition (MessageAcceptor), DKIM, the tracking record, the account's limits,
// the spool fsync, then the `accepted` events, metrics, the message log line and the scheduler. One function, so a
// message sent over HTTP meets exactly the rules, limits and records of one sent over SMTP.
import type { Logger } from 'pino';
import { SmtpError, type SmtpReply } from '../../protocol/index.js';
import { ComposeError, isMimeLimitError, type ParsedMessage } from '../../mime/index.js';
import type { AccountConfig, RelayConfig } from '../config/index.js';
import type { ApiKeyIndex } from './api-key.js';
import type { AcceptedMessage, MessageAcceptor } from './message-acceptor.js';
import type { LimitStore } from '../store/store.js';
import { createSpoolId, type Spool, type SpoolEntry } from '../storage/spool/index.js';
import { recordAccepted, recordRejected, type EventSink } from '../storage/event-log.js';
import { printable } from './policy.js';
import type { AcceptObserver } from './accept-observer.js';
import { prepareBody, type DkimSigner } from '../dkim/index.js';
import type { TrackingStore } from '../tracking/index.js';

/** Everything a configuration reload replaces at once; each message reads the current one once. */
export interface RelayRuntime {
  config: RelayConfig;
  keys: ApiKeyIndex;
  acceptor: MessageAcceptor;
  /** Signs outbound messages with the accounts' DKIM keys; null when no account has one. */
  dkim: DkimSigner | null;
}

/** What the accept path needs from the running relay, shared by the SMTP backend and the HTTP send API. */
export interface AcceptDeps {
  runtime(): RelayRuntime;
  spool: Spool;
  limits: LimitStore;
  logger: Logger;
  /** Per-recipient accepted/rejected events (SPEC §5). */
  events: EventSink;
  /** Accepted and refused messages, for the metrics. */
  metrics: AcceptObserver;
  /** Called after a message is durably spooled (the delivery scheduler picks it up). */
  onQueued(entry: SpoolEntry): void;
  /** Where a tracked message's links are kept for the click endpoint; absent = tracked messages are refused (451). */
  tracking?: TrackingStore;
}

/** One message as it arrives, whatever the protocol. */
export interface MessageSubmission {
  /** The configuration snapshot this message is judged by, from start to end. */
  runtime: RelayRuntime;
  /** The message's kept headers and body; may throw a MIME limit error (refused like any other message). */
  message(): ParsedMessage;
  /** The account the connection authenticated as (SMTP AUTH, the HTTP API key), or null. */
  sessionAccount: AccountConfig | null;
  /** Recipient addresses in order (RCPT TO, or the JSON `to`). */
  recipients: readonly string[];
  /** MAIL FROM; '' = the From address. */
  envelopeFrom: string;
  /** Size as received, for the metrics and the log. */
  bytes: number;
  /** When the message started arriving (Date.now()), for the log's `ms`. */
  started: number;
  /** Added to every log line of the message: `{ session }` for SMTP, `{ httpApi, request }` for HTTP. */
  context: Record<string, unknown>;
}

export interface QueuedMessage {
  id: string;
  entry: SpoolEntry;
  /** The success reply SMTP sends ("250 2.0.0 Ok: queued as <id>"). */
  reply: SmtpReply;
}

/**
 * Accepts and durably queues one message, or throws the SmtpError that refuses it, after logging the refusal and
 * recording one `rejected` event per recipient. Resolves only after the spool's fsync. Anything that is not a
 * refusal (a bug) is rethrown as is.
 */
export async function queueMessage(deps: AcceptDeps, m: MessageSubmission): Promise<QueuedMessage> {
  const { logger } = deps;
  const { runtime } = m;
  const id = createSpoolId();
  let accepted: AcceptedMessage | null = null;
  const refuse = (err: SmtpError): SmtpError => rejected(deps, m, err, accepted);
  let parsed: ParsedMessage;
  try {
    parsed = m.message();
    accepted = runtime.acceptor.accept({ parsed, sessionAccount: m.sessionAccount, recipients: m.recipients, lookupKey: (key) => runtime.keys.lookup(key) }, id);
  } catch (e) {
    throw refuse(toReplyError(e));
  }
  const { account, route, tag } = accepted;
  if (runtime.dkim !== null && route.config.dkim && account.dkim.length > 0) {
    try {
      await signRecipients(runtime.dkim, accepted, account.id);
    } catch (e) {
      logger.error({ ...m.context, id, err: (e as Error).message }, 'DKIM signing failed');
      throw refuse(new SmtpError(451, '4.3.0', 'Requested action aborted: signing failed, try again later'));
    }
  }
  if (accepted.tracking !== null) {
    // Before the spool: a delivered click URL never lacks the record it points to.
    try {
      if (deps.tracking === undefined) throw new Error('no tracking store');
      await deps.tracking.write(id, { account: account.id, tag, acceptedAt: Date.now(), recipients: [...m.recipients], links: accepted.tracking.links });
    } catch (e) {
      logger.error({ ...m.context, id, err: (e as Error).message }, 'tracking record write failed');
      throw refuse(new SmtpError(451, '4.3.0', 'Requested action aborted: local storage error, try again later'));
    }
  }
  let giveBack: () => void;
  try {
    // A Promise when the store asks a fleet-wide counter.
    giveBack = await deps.limits.take(account.id, account.rate, accepted.recipients.length);
  } catch (e) {
    throw refuse(toReplyError(e));
  }
  let entry: SpoolEntry;
  try {
    entry = await deps.spool.enqueue({
      id,
      account: account.id,
      route: route.name,
      tag,
      // Envelope sender for delivery: the route's, else MAIL FROM, else the From header.
      from: (route.config.type === 'smtp' ? route.config.envelopeFrom : null) ?? (m.envelopeFrom || accepted.from.address),
      createdAt: Date.now(),
      recipients: accepted.recipients,
    });
  } catch (e) {
    giveBack();
    const err = e instanceof SmtpError ? e : new SmtpError(451, '4.3.0', 'Requested action aborted: local storage error, try again later');
    logger.error({ ...m.context, id, err: (e as Error).message }, 'spool write failed');
    throw refuse(err);
  }
  const reply: SmtpReply = { code: 250, enhanced: '2.0.0', text: `Ok: queued as ${id}` };
  const replyLine = `250 2.0.0 Ok: queued as ${id}`;
  const droppedParts = parsed.dropped.map((d) => ({ type: d.type, filename: d.filename, size: d.size }));
  recordAccepted(deps.events, entry, replyLine, Date.now(), droppedParts);
  deps.metrics.messageAccepted(account.id, tag, m.bytes, accepted.recipients.length);
  // The log object is built only when it is written (the message line is per message, on the hot path).
  if (logger.isLevelEnabled('info')) {
    logger.info(
      {
        ...m.context,
        id,
        account: account.id,
        tag,
        route: route.name,
        recipients: m.recipients.length,
        size: m.bytes,
        dropped: droppedParts,
        ms: Date.now() - m.started,
        outcome: 'queued',
        reply: replyLine,
      },
      'message',
    );
  }
  deps.onQueued(entry);
  return { id, entry, reply };
}

/** Logs the refusal and records one `rejected` event per recipient with the reply given. */
function rejected(deps: AcceptDeps, m: MessageSubmission, err: SmtpError, accepted: AcceptedMessage | null): SmtpError {
  const reply = `${err.code} ${err.enhanced} ${Array.isArray(err.text) ? err.text.join(' ') : String(err.text)}`;
  const account = accepted?.account.id ?? m.sessionAccount?.id ?? null;
  deps.metrics.messageRejected(err.code);
  if (err.code === 451 && err.enhanced === '4.7.1') deps.metrics.limitHit('account_rate');
  deps.logger.info({ ...m.context, account, outcome: 'rejected', reply, size: m.bytes, recipients: m.recipients.length }, 'message');
  recordRejected(deps.events, { account, tag: accepted?.tag ?? null, route: accepted?.route.name ?? null, recipients: m.recipients }, reply);
  return err;
}

/** MIME limits and policy errors become replies; anything unexpected is rethrown (the caller's local error). */
export function toReplyError(e: unknown): SmtpError {
  if (e instanceof SmtpError) return e;
  if (isMimeLimitError(e)) {
    // Sizes are "too big" (RFC 3463 5.3.4); nesting and part counts are a structure the relay will not process.
    return e.limit === 'maxDepth' || e.limit === 'maxParts'
      ? new SmtpError(554, '5.6.0', `Message structure refused: ${e.message}`)
      : new SmtpError(552, '5.3.4', `Message too big: ${e.message}`);
  }
  // An address the composer cannot write (e.g. a quoted local part with a space): permanent, never a retry loop.
  if (e instanceof ComposeError) return new SmtpError(554, '5.6.0', printable(`Cannot compose the outbound message: ${e.message}`, 400));
  throw e;
}

/**
 * Signs each recipient's message in place (before it is spooled, so every delivery attempt sends the same bytes).
 * Every recipient's message has the same body: its hash is computed once (RFC 6376 §3.7); the RSA or Ed25519
 * signatures are made in the signer's worker threads, off the event loop.
 */
async function signRecipients(signer: DkimSigner, accepted: AcceptedMessage, owner: string): Promise<void> {
  const first = accepted.recipients[0];
  if (first === undefined) return;
  const body = prepareBody(first.body);
  await Promise.all(
    accepted.recipients.map(async (r) => {
      r.body = await signer.sign(r.body, body, owner);
    }),
  );
}
