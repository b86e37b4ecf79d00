// The relay's side of the SMTP engine: API-key AUTH, the MIME parser fed during DATA, then the shared accept path
// (queue-message.ts: policy, limits, spool) at the end of DATA.
import { SmtpError, type Backend, type ConnectionInfo, type DataSink, type MailParams, type Session, type SessionState, type SmtpReply } from '../../protocol/index.js';
import { MessageParser, type MimeLimits } from '../../mime/index.js';
import type { AccountConfig, RelayConfig } from '../config/index.js';
import { queueMessage, toReplyError, type AcceptDeps, type RelayRuntime } from './queue-message.js';

export type { RelayRuntime } from './queue-message.js';

/** The SMTP backend needs what every accept path needs. */
export type SmtpBackendDeps = AcceptDeps;

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
    const queued = await queueMessage(this.deps, {
      runtime: this.runtime,
      message: () => this.parser.end(),
      sessionAccount: this.sessionAccount,
      recipients: this.recipients,
      envelopeFrom: this.envelopeFrom,
      bytes: this.bytes,
      started: this.started,
      context: { session: this.connection.id },
    });
    return queued.reply;
  }

  abort(reason: string): void {
    this.deps.logger.debug({ session: this.connection.id, reason }, 'message aborted');
  }
}
