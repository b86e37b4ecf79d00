// Which account, tag and address a report is about, from the message's spool id and the recipient's index (read
// from a VERP address or from the relay's Message-ID `<id>.<n>@host`). A message still in the spool answers from
// there; a finished one from its `accepted` events in the event log, which are written in recipient order.
import type { EventPage, EventQuery } from '../storage/event-log.js';
import type { SpoolEntry } from '../storage/spool/index.js';

/** One recipient of a message the relay sent. */
export interface SentRecipient {
  id: string;
  index: number;
  account: string;
  tag: string;
  route: string;
  recipient: string;
}

export interface SentRecipientSources {
  spool: { get(id: string): SpoolEntry | null };
  events: { read(query: EventQuery): Promise<EventPage> };
  now?: () => number;
}

const ID_TIME_PATTERN = /^[0-9a-z]{9}/;
/** Events are stamped after their id was made; a minute of slack covers clocks stepping back. */
const SLACK_MS = 60_000;

export class SentRecipients {
  constructor(private readonly s: SentRecipientSources) {}

  async find(id: string, index: number): Promise<SentRecipient | null> {
    const entry = this.s.spool.get(id);
    if (entry) {
      const r = entry.recipients[index];
      return r ? { id, index, account: entry.account, tag: entry.tag, route: entry.route, recipient: r.recipient } : null;
    }
    const query: EventQuery = { id, type: 'accepted', limit: 1000 };
    const made = idTime(id, (this.s.now ?? Date.now)());
    if (made !== null) query.from = made - SLACK_MS;
    const page = await this.s.events.read(query);
    // Newest first: the message's accepted events in reverse recipient order.
    const accepted = page.events.slice().reverse();
    const e = accepted[index];
    if (!e || e.account === undefined || e.recipient === undefined) return null;
    return { id, index, account: e.account, tag: e.tag ?? '', route: e.route ?? '', recipient: e.recipient };
  }
}

/** When a queue id made by createSpoolId (time in base 36, 9 digits, first) was made; null for another shape. */
function idTime(id: string, now: number): number | null {
  if (!ID_TIME_PATTERN.test(id)) return null;
  const t = parseInt(id.slice(0, 9), 36);
  return t > 0 && t <= now + SLACK_MS ? t : null;
}
