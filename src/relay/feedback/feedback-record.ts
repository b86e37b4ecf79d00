// What the report parser finds: one FeedbackRecord per recipient a report speaks about.

export const FEEDBACK_TYPES = ['bounce', 'delay', 'complaint', 'autoreply', 'unknown'] as const;
export type FeedbackType = (typeof FEEDBACK_TYPES)[number];

/** Why a recipient failed, in sisimai's vocabulary (the words where they fit; `undefined` when nothing does). */
export const FEEDBACK_REASONS = [
  'userunknown',
  'hostunknown',
  'mailboxfull',
  'filtered',
  'blocked',
  'spamdetected',
  'policyviolation',
  'expired',
  'suspend',
  'hasmoved',
  'mesgtoobig',
  'securityerror',
  'systemerror',
  'networkerror',
  'notaccept',
  'norelaying',
  'rejected',
  'onhold',
  'feedback',
  'vacation',
  'undefined',
] as const;
export type FeedbackReason = (typeof FEEDBACK_REASONS)[number];

export interface FeedbackRecord {
  type: FeedbackType;
  /** The recipient the report is about (lower-cased domain kept as sent), or null when the report names none. */
  recipient: string | null;
  /** RFC 3463 enhanced status ("5.1.1"), or null (complaints, auto-replies, reports without one). */
  status: string | null;
  /** The SMTP reply code the remote server gave ("550"), or null. */
  replyCode: string | null;
  /** The remote server's words (Diagnostic-Code, the bounce's error lines), or null. */
  diagnostic: string | null;
  /** The address itself is bad (unknown user or domain, moved, permanently not accepting mail): suppress it. */
  hard: boolean;
  /** The original message's Message-ID without angle brackets (ours: `<queue id>.<n>@host`), or null. */
  messageId: string | null;
  reason: FeedbackReason;
}

/** Reasons that condemn the address itself (not the sender, the content or the moment): RFC 3463 X.1.x and kin. */
export function isHardReason(reason: FeedbackReason, status: string | null): boolean {
  if (reason === 'userunknown' || reason === 'hostunknown' || reason === 'hasmoved') return true;
  return reason === 'notaccept' && (status === null || status.startsWith('5'));
}
