// The relay's side of the SMTP engine: API-key AUTH, the MIME parser fed during DATA, the accept path, the spool.
import type { Logger } from 'pino';
import { SmtpError, type Backend, type ConnectionInfo, type DataSink, type MailParams, type Session, type SessionState, type SmtpReply } from '../../protocol/index.js';
import { ComposeError, MessageParser, isMimeLimitError, type MimeLimits, type ParsedMessage } from '../../mime/index.js';
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

/** Everything a configuration reload replaces at once; sessions read the current one at each step. */
export interface RelayRuntime {
  config: RelayConfig;
  keys: ApiKeyIndex;
  acceptor: MessageAcceptor;
  /** Signs outbound messages with the accounts' DKIM keys; null when no account has one. */
  dkim: DkimSigner | null;
}

export interface SmtpBackendDeps {
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

export class SmtpBackend implements Backend {
  constructor(private readonly deps: SmtpBackendDeps) {}

  connect(connection: ConnectionInfo): Session {
    return new RelaySession(this.deps, connection);
  }
}

class RelaySession implements Session {
  /**
   * The API key AUTH accepted. It is looked up again at each DATA, so a key revoked (through the API, on any relay
   * of a fleet) or removed by a reload stops a session that authenticated with it at its next message.
   */
  private authKey: string | null = null;
  private envelopeFrom = '';
  private readonly recipients: string[] = [];

  constructor(
    private readonly deps: SmtpBackendDeps,
    private readonly connection: ConnectionInfo,
  ) {}

  auth(_mechanism: 'PLAIN' | 'LOGIN', _username: string, password: string): void {
    // The username is ignored: the password is the API key (SPEC §2).
    const account = this.deps.runtime().keys.lookup(password);
    if (account === null) throw new SmtpError(535, '5.7.8', 'Authentication credentials invalid');
    this.authKey = password;
  }

  mail(from: string, _params: MailParams): void {
    this.envelopeFrom = from;
    this.recipients.length = 0;
  }

  rcpt(to: string): void {
    this.recipients.push(to);
  }

  data(_state: SessionState): DataSink {
    const runtime = this.deps.runtime();
    return new RelayDataSink(this.deps, runtime, this.connection, this.sessionAccount(runtime), this.envelopeFrom, [...this.recipients]);
  }

  reset(): void {
    this.envelopeFrom = '';
    this.recipients.length = 0;
  }

  close(): void {
    this.reset();
  }

  private sessionAccount(runtime: RelayRuntime): AccountConfig | null {
    if (this.authKey === null) return null;
    const account = runtime.keys.lookup(this.authKey);
    if (account === null) throw new SmtpError(535, '5.7.8', 'Authentication credentials no longer valid (the API key was revoked or removed); authenticate again');
    return account;
  }
}

function mimeLimitsOf(config: RelayConfig): MimeLimits {
  const l = config.limits;
  return {
    maxHeaderBytes: l.maxHeaderBytes,
    maxHeaderCount: l.maxHeaders,
    maxDepth: l.maxDepth,
    maxParts: l.maxParts,
    maxHtmlBytes: l.maxHtmlBytes,
  };
}

class RelayDataSink implements DataSink {
  private readonly parser: MessageParser;
  private bytes = 0;
  private readonly started = Date.now();

  constructor(
    private readonly deps: SmtpBackendDeps,
    private readonly runtime: RelayRuntime,
    private readonly connection: ConnectionInfo,
    private readonly sessionAccount: AccountConfig | null,
    private readonly envelopeFrom: string,
    private readonly recipients: string[],
  ) {
    this.parser = new MessageParser(mimeLimitsOf(runtime.config));
  }

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    try {
      this.parser.write(chunk);
    } catch (e) {
      throw toReplyError(e);
    }
  }

  async end(): Promise<SmtpReply> {
    const { logger } = this.deps;
    let accepted: AcceptedMessage;
    let parsed: ParsedMessage;
    const id = createSpoolId();
    try {
      parsed = this.parser.end();
      accepted = this.runtime.acceptor.accept({
        parsed,
        sessionAccount: this.sessionAccount,
        recipients: this.recipients,
        lookupKey: (key) => this.runtime.keys.lookup(key),
      }, id);
    } catch (e) {
      throw this.rejected(toReplyError(e), null);
    }
    const { account, route, tag } = accepted;
    const dropped = parsed.dropped;
    if (this.runtime.dkim !== null && route.config.dkim && account.dkim.length > 0) {
      try {
        await signRecipients(this.runtime.dkim, accepted, account.id);
      } catch (e) {
        logger.error({ session: this.connection.id, id, err: (e as Error).message }, 'DKIM signing failed');
        throw this.rejected(new SmtpError(451, '4.3.0', 'Requested action aborted: signing failed, try again later'), accepted);
      }
    }
    if (accepted.tracking !== null) {
      // Before the spool: a delivered click URL never lacks the record it points to.
      try {
        if (this.deps.tracking === undefined) throw new Error('no tracking store');
        await this.deps.tracking.write(id, { account: account.id, tag, acceptedAt: Date.now(), recipients: [...this.recipients], links: accepted.tracking.links });
      } catch (e) {
        logger.error({ session: this.connection.id, id, err: (e as Error).message }, 'tracking record write failed');
        throw this.rejected(new SmtpError(451, '4.3.0', 'Requested action aborted: local storage error, try again later'), accepted);
      }
    }
    const giveBack = await this.deps.limits.take(account.id, account.rate, accepted.recipients.length);
    let entry: SpoolEntry;
    try {
      entry = await this.deps.spool.enqueue({
        id,
        account: account.id,
        route: route.name,
        tag,
        // Envelope sender for delivery: the route's, else MAIL FROM, else the From header.
        from: (route.config.type === 'smtp' ? route.config.envelopeFrom : null) ?? (this.envelopeFrom || accepted.from.address),
        createdAt: Date.now(),
        recipients: accepted.recipients,
      });
    } catch (e) {
      giveBack();
      const err = e instanceof SmtpError ? e : new SmtpError(451, '4.3.0', 'Requested action aborted: local storage error, try again later');
      logger.error({ session: this.connection.id, id, err: (e as Error).message }, 'spool write failed');
      throw this.rejected(err, accepted);
    }
    const droppedParts = dropped.map((d) => ({ type: d.type, filename: d.filename, size: d.size }));
    recordAccepted(this.deps.events, entry, `250 2.0.0 Ok: queued as ${id}`, Date.now(), droppedParts);
    this.deps.metrics.messageAccepted(account.id, tag, this.bytes, accepted.recipients.length);
    // The log object is built only when it is written (the message line is per message, on the hot path).
    if (logger.isLevelEnabled('info')) {
      logger.info(
        {
          session: this.connection.id,
          id,
          account: account.id,
          tag,
          route: route.name,
          recipients: this.recipients.length,
          size: this.bytes,
          dropped: droppedParts,
          ms: Date.now() - this.started,
          outcome: 'queued',
          reply: `250 2.0.0 Ok: queued as ${id}`,
        },
        'message',
      );
    }
    this.deps.onQueued(entry);
    return { code: 250, enhanced: '2.0.0', text: `Ok: queued as ${id}` };
  }

  /** Logs the refusal and records one `rejected` event per recipient with the reply we gave. */
  private rejected(err: SmtpError, accepted: AcceptedMessage | null): SmtpError {
    const reply = `${err.code} ${err.enhanced} ${Array.isArray(err.text) ? err.text.join(' ') : String(err.text)}`;
    const account = accepted?.account.id ?? this.sessionAccount?.id ?? null;
    this.deps.metrics.messageRejected(err.code);
    if (err.code === 451 && err.enhanced === '4.7.1') this.deps.metrics.limitHit('account_rate');
    this.deps.logger.info({ session: this.connection.id, account, outcome: 'rejected', reply, size: this.bytes, recipients: this.recipients.length }, 'message');
    recordRejected(this.deps.events, { account, tag: accepted?.tag ?? null, route: accepted?.route.name ?? null, recipients: this.recipients }, reply);
    return err;
  }

  abort(reason: string): void {
    this.deps.logger.debug({ session: this.connection.id, reason }, 'message aborted');
  }
}

/** MIME limits and policy errors become replies; anything unexpected is a temporary local error. */
function toReplyError(e: unknown): SmtpError {
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
