// What a report mailed back to the relay changes (issue 16 §2): for each FeedbackRecord, the message and recipient
// it is about, then an event and, when the address itself is condemned, a suppression.
//
//   record                          event                                  suppression (account's list)
//   bounce, hard (5.1.1 ...)         bounced {status, diagnostic, hard: true, reason}   yes: reason and the report's time
//   bounce, not hard (blocked ...)   bounced {hard: false}                              no
//   delay (4.x.x)                    bounced {hard: false}                              no
//   complaint (ARF)                  complained {diagnostic: feedback type, reason}     yes
//   autoreply, unknown               none (logged)                                      no
//
// Which recipient: the VERP address the report was sent to, when its signature is valid (checked at RCPT), else the
// original's Message-ID `<id>.<n>@host` with the report's recipient equal to that message's recipient n (so a report
// cannot condemn an address the message was not sent to). A report matching neither is ignored and logged.
import type { Logger } from 'pino';
import type { FeedbackRecord } from '../feedback/index.js';
import type { VerpTarget } from '../feedback/verp-address.js';
import type { EventSink, RelayEvent } from '../storage/event-log.js';
import type { SentRecipient, SentRecipients } from './sent-recipients.js';

/** The part of the SuppressionList a report writes to. */
export interface SuppressionWriter {
  add(account: string, address: string, reason: string, time?: number): Promise<boolean>;
}

export interface ReportOutcomesDeps {
  recipients: SentRecipients;
  suppression: SuppressionWriter;
  events: EventSink;
  logger: Logger;
}

/** What one report was sent to and when it was written. */
export interface ReportContext {
  /** The valid VERP addresses among its RCPTs. */
  targets: readonly VerpTarget[];
  /** The report's Date, ms since the epoch (the time a suppression gets). */
  time: number;
  /** The SMTP session, for the log. */
  session: string;
}

export interface ReportResult {
  /** Records that gave an event. */
  recorded: number;
  /** Records ignored (auto-replies, unknown, not about a message of ours). */
  ignored: number;
}

const OUR_MESSAGE_ID = /^([A-Za-z0-9_-]{1,64})\.(0|[1-9][0-9]{0,8})@[^@\s]+$/;
const MAX_TEXT = 500;

export class ReportOutcomes {
  constructor(private readonly d: ReportOutcomesDeps) {}

  /** Applies every record; rejects only when a suppression cannot be written (the report is then refused 451). */
  async record(records: readonly FeedbackRecord[], ctx: ReportContext): Promise<ReportResult> {
    const result: ReportResult = { recorded: 0, ignored: 0 };
    const targets = await this.resolveTargets(ctx.targets);
    const done = new Set<string>();
    for (const rec of records) {
      const log = { session: ctx.session, type: rec.type, recipient: rec.recipient, status: rec.status, reason: rec.reason, messageId: rec.messageId };
      if (rec.type === 'autoreply' || rec.type === 'unknown') {
        this.d.logger.info({ ...log, outcome: 'ignored' }, 'report');
        result.ignored++;
        continue;
      }
      const sent = await this.sentOf(rec, targets);
      if (sent === null) {
        this.d.logger.info({ ...log, outcome: 'ignored', why: 'not about a message of this relay' }, 'report');
        result.ignored++;
        continue;
      }
      const key = `${sent.id}\u0000${sent.index}\u0000${rec.type}`;
      if (done.has(key)) continue; // one report may name a recipient twice (a DSN and its prose)
      done.add(key);
      await this.apply(rec, sent, ctx);
      this.d.logger.info({ ...log, id: sent.id, account: sent.account, tag: sent.tag, address: sent.recipient, outcome: 'recorded' }, 'report');
      result.recorded++;
    }
    return result;
  }

  private async resolveTargets(targets: readonly VerpTarget[]): Promise<SentRecipient[]> {
    const out: SentRecipient[] = [];
    for (const t of targets) {
      const sent = await this.d.recipients.find(t.id, t.index);
      if (sent) out.push(sent);
    }
    return out;
  }

  private async sentOf(rec: FeedbackRecord, targets: readonly SentRecipient[]): Promise<SentRecipient | null> {
    if (targets.length > 0) {
      // The VERP address decides; the report's own recipient only picks among several (it may name a forwarding alias).
      const same = rec.recipient === null ? undefined : targets.find((t) => sameAddress(t.recipient, rec.recipient!));
      return same ?? (targets.length === 1 ? targets[0]! : null);
    }
    const m = rec.messageId === null ? null : OUR_MESSAGE_ID.exec(rec.messageId);
    if (!m || rec.recipient === null) return null;
    const sent = await this.d.recipients.find(m[1]!, Number(m[2]));
    return sent && sameAddress(sent.recipient, rec.recipient) ? sent : null;
  }

  private async apply(rec: FeedbackRecord, sent: SentRecipient, ctx: ReportContext): Promise<void> {
    const complaint = rec.type === 'complaint';
    const hard = rec.type === 'bounce' && rec.hard;
    const diagnostic = rec.diagnostic === null ? undefined : clip(rec.diagnostic);
    // Stamped now: the event log is kept in time order; the report's own time goes to the suppression.
    const event: RelayEvent = {
      type: complaint ? 'complained' : 'bounced',
      id: sent.id,
      account: sent.account,
      tag: sent.tag,
      route: sent.route,
      recipient: sent.recipient,
      reason: rec.reason,
    };
    if (diagnostic !== undefined) event.diagnostic = diagnostic;
    if (!complaint) {
      event.status = rec.status ?? (rec.type === 'delay' ? '4.0.0' : '5.0.0');
      event.hard = hard;
    }
    event.reply = diagnostic ?? event.status ?? rec.reason;
    if (complaint || hard) {
      const why = complaint
        ? `complaint (${rec.diagnostic === null ? 'abuse' : clip(rec.diagnostic, 60)}) reported for message ${sent.id}`
        : `hard bounce ${event.status} (${rec.reason}) reported for message ${sent.id}${diagnostic === undefined ? '' : `: ${diagnostic}`}`;
      await this.d.suppression.add(sent.account, sent.recipient, why, ctx.time);
    }
    this.d.events.append(event);
  }
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function clip(text: string, max = MAX_TEXT): string {
  const flat = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max) + '...' : flat;
}
