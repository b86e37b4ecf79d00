// The content source of message activity over the relay's stores: retained copies (storage/retention.ts) and,
// for a recipient not yet delivered or failed, the spool.
import { recipientKey, type RetentionStore } from '../storage/retention.js';
import type { Spool } from '../storage/spool/index.js';
import type { MessageContentSource } from './message-activity.js';

export function messageContentSource(o: {
  retention: RetentionStore;
  spool: Pick<Spool, 'get' | 'read'>;
  /** Days the account's copies are kept (the running configuration); null = off. */
  retentionDays(account: string): number | null;
}): MessageContentSource {
  return {
    retentionDays: o.retentionDays,
    retained: (id, recipient) => o.retention.read(id, recipient),
    async retainedRecipients(id, recipients) {
      const found = await o.retention.find(id);
      if (found === null) return null;
      const kept = recipients.filter((r) => found.keys.has(recipientKey(r))).map((r) => r.toLowerCase());
      return { recipients: new Set(kept), expiresAt: found.expiresAt, expired: found.expired };
    },
    async queued(id, recipient) {
      const entry = o.spool.get(id);
      const key = recipient.toLowerCase();
      const i = entry?.recipients.findIndex((r) => r.status === 'pending' && r.recipient.toLowerCase() === key) ?? -1;
      if (i < 0) return null;
      try {
        return (await o.spool.read(id)).recipients[i]?.body ?? null;
      } catch {
        return null; // delivered and released meanwhile
      }
    },
  };
}
