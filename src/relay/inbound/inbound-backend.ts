// The inbound listener's side of the SMTP engine (issue 16 §2): mail for the bounce domains only, no AUTH (the
// session has no auth(), so the engine neither advertises nor accepts it), the body streamed into the report parser,
// and what the reports say recorded before the 250.
//
// Replies, as Postfix gives them for a domain it does not serve and a mailbox it does not have:
//   RCPT to another domain                         550 5.7.1 (relay access denied)
//   RCPT to a VERP address with a wrong signature  550 5.1.1 (no such mailbox: a forged or mangled return path;
//                                                  the report is never read, so it can suppress nothing)
//   a report past a parser limit                   552 5.3.4
//   a suppression that cannot be written           451 4.3.0 (the sender tries again)
// Any other local part of a served domain (a feedback-loop address such as fbl@) is accepted; its reports are
// matched by the original's Message-ID instead (report-outcomes.ts).
import type { Logger } from 'pino';
import { SmtpError, type Backend, type ConnectionInfo, type DataSink, type Session, type SmtpReply } from '../../protocol/index.js';
import { isMimeLimitError } from '../../mime/index.js';
import { ReportParser, type FeedbackRecord, type ReportLimits } from '../feedback/index.js';
import type { VerpSigner, VerpTarget } from '../feedback/verp-address.js';
import type { ReportOutcomes, ReportResult } from './report-outcomes.js';

/** Counts reports for the metrics (RelayMetrics.feedbackReport). */
export interface InboundObserver {
  feedbackReport(result: 'recorded' | 'ignored' | 'refused'): void;
}

export interface InboundBackendDeps {
  /** Lower-cased domains served; read at each RCPT, so a reload applies at once. */
  domains(): readonly string[];
  signer: VerpSigner;
  outcomes: ReportOutcomes;
  logger: Logger;
  observer?: InboundObserver;
  limits?: Partial<ReportLimits>;
  now?: () => number;
}

export class InboundBackend implements Backend {
  constructor(private readonly d: InboundBackendDeps) {}

  connect(connection: ConnectionInfo): Session {
    return new InboundSession(this.d, connection);
  }
}

class InboundSession implements Session {
  private targets: VerpTarget[] = [];

  constructor(
    private readonly d: InboundBackendDeps,
    private readonly connection: ConnectionInfo,
  ) {}

  mail(): void {
    this.targets = [];
  }

  rcpt(to: string): void {
    const at = to.lastIndexOf('@');
    const domain = at < 0 ? '' : to.slice(at + 1).toLowerCase();
    if (!this.d.domains().includes(domain)) throw new SmtpError(550, '5.7.1', `<${to}>: Relay access denied (this listener takes reports for its bounce domains only)`);
    const reading = this.d.signer.read(to.slice(0, at));
    if (reading.kind === 'forged') {
      this.d.logger.info({ session: this.connection.id, rcpt: to, outcome: 'refused' }, 'report to a return path with a wrong signature');
      throw new SmtpError(550, '5.1.1', `<${to}>: Recipient address rejected: no such return path`);
    }
    if (reading.kind === 'valid') this.targets.push({ id: reading.id, index: reading.index });
  }

  data(): DataSink {
    return new ReportSink(this.d, this.connection, [...this.targets]);
  }

  reset(): void {
    this.targets = [];
  }

  close(): void {
    this.reset();
  }
}

const MAX_HEADER_SCAN = 64 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');
/** A report dated further ahead than this is not believed: its arrival time is used. */
const FUTURE_SLACK_MS = 60 * 60_000;

class ReportSink implements DataSink {
  private readonly parser: ReportParser;
  /** The report's header block, kept (bounded) for its Date field. */
  private head: Buffer[] = [];
  private headBytes = 0;
  private headDone = false;

  constructor(
    private readonly d: InboundBackendDeps,
    private readonly connection: ConnectionInfo,
    private readonly targets: VerpTarget[],
  ) {
    this.parser = new ReportParser(d.limits);
  }

  write(chunk: Buffer): void {
    if (!this.headDone) this.keepHead(chunk);
    try {
      this.parser.write(chunk);
    } catch (e) {
      throw this.refused(e);
    }
  }

  async end(): Promise<SmtpReply> {
    let records: FeedbackRecord[];
    try {
      records = this.parser.end();
    } catch (e) {
      throw this.refused(e);
    }
    let result: ReportResult;
    try {
      result = await this.d.outcomes.record(records, { targets: this.targets, time: this.reportTime(), session: this.connection.id });
    } catch (e) {
      this.d.logger.error({ session: this.connection.id, err: (e as Error).message }, 'cannot record a report');
      throw new SmtpError(451, '4.3.0', 'Requested action aborted: local storage error, try again later');
    }
    this.d.observer?.feedbackReport(result.recorded > 0 ? 'recorded' : 'ignored');
    return { code: 250, enhanced: '2.0.0', text: `Ok: report read, ${result.recorded} recorded, ${result.ignored} ignored` };
  }

  abort(reason: string): void {
    this.d.logger.debug({ session: this.connection.id, reason }, 'report aborted');
  }

  private refused(e: unknown): SmtpError {
    if (!isMimeLimitError(e)) throw e;
    this.d.observer?.feedbackReport('refused');
    return new SmtpError(552, '5.3.4', `Report too big or too complex: ${e.message}`);
  }

  private keepHead(chunk: Buffer): void {
    this.head.push(chunk);
    this.headBytes += chunk.length;
    const text = Buffer.concat(this.head);
    if (text.indexOf(HEADER_END) >= 0 || this.headBytes >= MAX_HEADER_SCAN) {
      this.headDone = true;
      this.head = [text];
    }
  }

  /** The report's Date, or now when it has none that makes sense. */
  private reportTime(): number {
    const now = (this.d.now ?? Date.now)();
    const head = Buffer.concat(this.head).toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    const m = /^date:[ \t]*([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)/im.exec(end < 0 ? head : head.slice(0, end));
    if (!m) return now;
    const t = Date.parse(m[1]!.replace(/\r\n/g, '').replace(/\([^)]*\)/g, '').trim());
    return Number.isFinite(t) && t <= now + FUTURE_SLACK_MS && t > 0 ? t : now;
  }
}
