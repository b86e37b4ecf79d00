// Reason words from what a remote server wrote: first its text (the most specific), then its RFC 3463 status.
// The phrases are the ones mail servers commonly use; the table is data so a new phrase is one line.
import type { FeedbackReason } from './feedback-record.js';

/** Names of DNS blocklists and the words for a listing. */
const BLOCKLIST = /spamhaus|spamcop|blocked using|block ?list|black ?list|dnsbl/i;

/** Checked in order; the first pattern found in the diagnostic wins. */
const TEXT_RULES: ReadonlyArray<readonly [FeedbackReason, RegExp]> = [
  ['hasmoved', /\bhas been moved|\bmoved to\b|address changed|user has moved|mailbox has moved/i],
  ['mesgtoobig', /message (?:size|length) exceeds|message too (?:big|large)|too large|exceeds (?:the )?(?:maximum|size limit)|size limit/i],
  ['mailboxfull', /mailbox (?:is )?full|over ?quota|quota (?:exceeded|full)|exceeded (?:storage|quota)|mailbox size limit|full mailbox|insufficient (?:disk )?space|disk ?quota|mail ?box is full|not enough storage|user is over|storage (?:space )?(?:is )?full|recipient.*over.*quota|inbox is full/i],
  ['suspend', /temporar(?:y|ily) locked|suspended|disabled|inactive|has been (?:deactivated|deleted)|account (?:is )?(?:locked|expired)|no longer (?:active|available|in use)|deactivated|mailbox (?:is )?(?:disabled|unavailable)|not (?:currently )?active/i],
  ['norelaying', /relay(?:ing)? (?:access )?(?:denied|not permitted|prohibited)|not (?:permitted|allowed) to relay|unable to relay|relay not permitted|we do not relay|no relaying|Relaying denied|not a local (?:domain|recipient)/i],
  ['networkerror', /not found, try again|temporary failure in name resolution/i],
  ['notaccept', /does not accept (?:any )?mail|null mx|accepts no mail|not accept mail|no SMTP service/i],
  ['hostunknown', /domain may not exist|host (?:or domain name )?not found|unknown host|couldn'?t find any host|no such (?:host|domain)|domain (?:does not exist|not found|name not found)|name or service not known|unrouteable|unroutable|host unknown|invalid domain|Domain not found|no mx|mx record|nxdomain|does not accept mail \(nullmx\)/i],
  ['userunknown', /user unknown|unknown user|no such (?:user|mailbox|recipient|address|account)|(?:user|mailbox|recipient|address|account)(?: name)? (?:does not|doesn'?t) exist|(?:mailbox|user|recipient|address) (?:not found|unavailable|unknown)|not a valid (?:user|mailbox|recipient)|invalid (?:recipient|mailbox|address|user)|unknown (?:recipient|mailbox|local[- ]part|address)|recipient rejected|addressee unknown|undeliverable address|no mailbox here|account (?:does not exist|not found|unavailable)|user not found|bad destination mailbox|that user doesn'?t have|not listed in|no such person|not our customer|This account is not|The email account that you tried to reach does not exist|Requested action not taken: mailbox unavailable|mailbox not available|does not have an account|doesn'?t have an? \S+ account|User not local|unknown or illegal alias|recipient not found|not a known user|unrouteable address|is not a valid mailbox|delivery to the following recipient failed permanently|unknown recipient|Invalid recipient|no valid recipients|unknown local part|unknown address|mailbox unavailable/i],
  ['expired', /retry time(?:out)? (?:not reached|exceeded)|retry timeout|delivery time expired|message expired|too long in (?:the )?queue|(?:has been|was) delayed|could not be delivered for|giving up|gave up|deferred for too long|Message timed out|queue ?time|message has been in the queue|retry period|time limit exceeded|not yet been delivered|has not been delivered|been unable to deliver|for more than \d+ (?:hours|days)|I'?m not going to try again|Delivery incomplete/i],
  ['networkerror', /connection (?:refused|timed out|reset|closed|lost)|timed out while|timeout|network (?:is )?unreachable|no route to host|could not connect|unable to connect|lost connection|too many hops|routing loop|mail loop|hop count exceeded|loops? back to myself/i],
  // A blocklist's name contains "spam": a listing is a block, not spam found in the message.
  ['blocked', BLOCKLIST],
  ['spamdetected', /spam|junk mail|bulk mail|unsolicited|content (?:rejected|filter)|message content rejected|virus|malware|infected|looks like|SPF|blacklisted content/i],
  ['securityerror', /authentication checks failed|authentication (?:required|failed)|TLS (?:required|is required)|encryption required|must (?:issue a STARTTLS|authenticate)|not authorized to send|authenticate first|DMARC|DKIM|5\.7\.2[5-9]|5\.7\.509|unauthenticated|not signed|sender address.*forged/i],
  ['blocked', /blocked|block ?list|black ?list|denylist|banned|reputation|listed (?:at|on|in)|rbl|dnsbl|spamhaus|spamcop|refused to talk|rejected.*\bIP\b|client host rejected|\bIP\b.*(?:rejected|not allowed)|reverse (?:dns|lookup)|PTR|rdns|too many (?:connections|messages|concurrent)|rate limit|throttl|try again later|temporarily (?:deferred|rejected)|poor reputation|access denied|connection rate limit/i],
  ['policyviolation', /policy|not permitted by|prohibited|not allowed|violat/i],
  ['filtered', /filter|refused by the recipient|rejected by recipient|denied by|does not accept|not accepting (?:mail|messages)|not authorized to receive|recipient refused|recipient address rejected: access denied|sender (?:address )?(?:rejected|denied)/i],
  ['systemerror', /system error|internal (?:server )?error|local error|server error|configuration error|mail system (?:error|problem)|local configuration|I\/O error|temporary failure|resources temporarily unavailable|too many recipients|mailer error|command died|exit code|unknown mail transport/i],
  ['rejected', /sender (?:address )?(?:rejected|invalid|domain)|domain of sender|return path|envelope (?:sender|from)|mail from|rejected|refused/i],
];

/** Reasons implied by an RFC 3463 status when the text says nothing more (RFC 3463 §3). */
const STATUS_RULES: ReadonlyArray<readonly [RegExp, FeedbackReason]> = [
  [/^\d\.1\.2$/, 'hostunknown'],
  [/^\d\.1\.[0-5]$/, 'userunknown'],
  [/^\d\.1\.6$/, 'hasmoved'],
  [/^\d\.1\.[78]$/, 'rejected'],
  [/^\d\.2\.1$/, 'suspend'],
  [/^\d\.2\.2$/, 'mailboxfull'],
  [/^\d\.[23]\.4$|^\d\.2\.3$/, 'mesgtoobig'],
  [/^\d\.3\.[0-35]$/, 'systemerror'],
  [/^\d\.4\.4$/, 'hostunknown'],
  [/^\d\.4\.[0-6]$/, 'networkerror'],
  [/^\d\.4\.7$/, 'expired'],
  [/^\d\.5\.\d$/, 'systemerror'],
  [/^\d\.6\.\d$/, 'spamdetected'],
  [/^\d\.7\.1$/, 'blocked'],
  [/^\d\.7\.(?:2[5-9]|5\d\d|[4-9]|1[0-9])$/, 'securityerror'],
  [/^\d\.7\.\d+$/, 'policyviolation'],
];

/** The SMTP command a remote server's refusal answered, as the report tells it; LOCAL: the final host's own delivery agent. */
export type SmtpStage = 'CONN' | 'HELO' | 'MAIL' | 'RCPT' | 'DATA' | 'LOCAL';

/**
 * The stage a report says the refusal came at: Postfix "(in reply to RCPT TO command)", Exim "after RCPT TO:",
 * a Sendmail transcript's last ">>> DATA" before the reply, a local delivery agent ("mail.local: ...").
 * The last one named wins (a transcript lists the commands in order). Null when the report does not say.
 */
export function smtpStageIn(text: string | null): SmtpStage | null {
  if (text === null) return null;
  let stage: SmtpStage | null = null;
  for (const m of text.matchAll(STAGE_RE)) {
    const w = (m[1] ?? m[2] ?? m[3] ?? m[5] ?? '').toUpperCase();
    if (m[4] !== undefined || m[7] !== undefined) stage = 'LOCAL';
    else if (m[6] !== undefined) stage = 'RCPT';
    else if (w.startsWith('RCPT')) stage = 'RCPT';
    else if (w.startsWith('MAIL')) stage = 'MAIL';
    else if (w.includes('DATA') || w === '.') stage = 'DATA';
    else if (w.startsWith('HELO') || w.startsWith('EHLO')) stage = 'HELO';
    else stage = 'CONN';
  }
  return stage;
}
// Bounded alternatives only (no nested quantifiers): linear on long input. Beside the commands: qmail-remote's
// "does not like recipient" (its RCPT refusal) and Exchange's own directory lookup ("The recipient name is not recognized").
const STAGE_RE =
  /in reply to (RCPT TO|MAIL FROM|end of DATA|DATA|HELO|EHLO|initial greeting)\b|\bafter (RCPT TO|MAIL FROM|end of data|DATA|HELO|EHLO|initial connection)\b|^[ \t]*>>> (RCPT TO|MAIL FROM|DATA|HELO|EHLO|\.)|\b(mail\.local|local delivery|procmail|maildrop|dovecot-lda):|\bSMTP:(RCPT|MAIL|DATA)\b|(does not like recipient)|(The recipient name is not recognized)/gim;

/** What the report says about where the refusal came from, for the rules that depend on it. */
export interface ReasonContext {
  /** The SMTP stage the refusal answered (smtpStageIn), or null when unknown. */
  stage?: SmtpStage | null;
  /** Host names that identify the reporting and remote systems (Reporting-MTA, Remote-MTA, the report's From). */
  mta?: string | null;
}

/**
 * Readings of one provider's words, keyed on its identity in the report: the same words from another system mean
 * something else. Each is what the provider documents or is known to answer.
 */
const PROVIDER_RULES: ReadonlyArray<readonly [RegExp, RegExp, FeedbackReason]> = [
  // MessageLabs (Symantec/Broadcom Email Security.cloud) answers "542 <address> Rejected" for a recipient its customer's directory lacks.
  [/\bmessagelabs\.com\b/i, /(?:^|\s)542 .{0,300}\bRejected\b|No such user/i, 'userunknown'],
];

/** The reason for a failed recipient: the text first, then the status. Status x.1.x beats generic text. */
export function reasonFor(diagnostic: string | null, status: string | null, context: ReasonContext = {}): FeedbackReason {
  if (diagnostic !== null && context.mta) {
    for (const [who, words, reason] of PROVIDER_RULES) if (who.test(context.mta) && words.test(diagnostic)) return reason;
  }
  const byStatus = status === null ? null : (STATUS_RULES.find(([re]) => re.test(status))?.[1] ?? null);
  // X.1.1 and X.1.2 name the address precisely (RFC 3463 §3.2): no text overrides them but a full mailbox.
  // X.1.7 and X.1.8 are about the sender's address, whatever the text says of the domain.
  if (byStatus === 'rejected') return byStatus;
  if (byStatus === 'userunknown' || byStatus === 'hostunknown' || byStatus === 'mailboxfull') {
    if (diagnostic !== null && byStatus !== 'mailboxfull' && TEXT_RULES[2]![1].test(diagnostic)) return 'mailboxfull';
    if (diagnostic !== null && byStatus === 'userunknown' && /sender (?:address )?rejected/i.test(diagnostic)) return 'rejected';
    // A reporting MTA's X.1.x summary over a remote reply that names a blocklist: the sending IP was refused, not the address.
    if (diagnostic !== null && BLOCKLIST.test(diagnostic)) return 'blocked';
    return byStatus;
  }
  if (diagnostic !== null) {
    for (const [reason, re] of TEXT_RULES) {
      if (!re.test(diagnostic)) continue;
      // "User unknown" proves the address bad only at RCPT TO (or from the final host's delivery agent): after
      // DATA, or where the report does not say, the server took the address and a filter refused the message
      // (Japanese mobile carriers answer "550 User unknown" so for senders the recipient blocks).
      if (reason === 'userunknown' && context.stage !== 'RCPT' && context.stage !== 'LOCAL') return 'filtered';
      return reason;
    }
  }
  return byStatus ?? 'undefined';
}

/**
 * The status given to a failed recipient whose report carries none: only the class is known (4 temporary, 5
 * permanent); the detail stays 0.0 rather than guessing one from the reason (RFC 3463 §3.1 "other").
 */
export function statusForClass(temporary: boolean): string {
  return temporary ? '4.0.0' : '5.0.0';
}
