// Message activity (issue 17 §4): each message's timeline (accepted, each attempt with the upstream's reply,
// deferred, delivered, failed, suppressed, bounced, complained, unsubscribed, opened, clicked), built from the
// event log, and the search that finds messages by recipient, tag and account.
//
// Every read is bounded. A timeline comes from the in-memory index of recent messages when it holds the whole
// message; otherwise from the log, newest first, back to the time the queue id was made (ids start with their
// creation time) and at most `maxScan` lines. A search reads at most `maxScan` lines from `since` on, and says when
// it stopped at that bound; its cursor continues where it stopped. A message is found by its `accepted` events,
// so it appears in one page only.
import { EventQueryError, type EventPage, type EventQuery, type RelayEvent, type StoredEvent } from '../storage/event-log.js';
import type { RecentMessages } from './message-activity-index.js';
import { AdminRequestError } from './query.js';

/** The part of the EventLog message activity reads (maxScan, start and scanned in the page). */
export interface ActivityEventReader {
  read(query: EventQuery): Promise<EventPage>;
}

/** Where a message's content comes from: retained copies, and the spool for a message not yet final. */
export interface MessageContentSource {
  /** Days copies of this account's messages are kept; null when retention is off for it. */
  retentionDays(account: string): number | null;
  /** The retained copy, when there is one (never an expired one). */
  retained(id: string, recipient: string): Promise<Buffer | null>;
  /** Lower-cased recipients with a retained copy, and when the copies expire; null when none is kept. */
  retainedRecipients(id: string, recipients: readonly string[]): Promise<{ recipients: ReadonlySet<string>; expiresAt: number; expired: boolean } | null>;
  /** The composed message of a recipient still in the spool (not yet delivered or failed), or null. */
  queued(id: string, recipient: string): Promise<Buffer | null>;
}

export interface MessageActivityOptions {
  events: ActivityEventReader;
  recent?: RecentMessages | null;
  content?: MessageContentSource | null;
  now?: () => number;
  /** Log lines one request reads at most; default 100,000. */
  maxScan?: number;
  /** Events one timeline holds at most (its oldest are left out past this); default 5,000. */
  maxTimelineEvents?: number;
}

export interface MessageSearch {
  recipient?: string;
  tag?: string;
  account?: string;
  /** ms since the epoch: messages accepted at or after it. */
  since: number;
  /** Messages per page. */
  limit: number;
  cursor?: string;
}

/** One recipient in a search result: the latest state the search (or the index) knows of. */
export interface RecipientSummary {
  recipient: string;
  /** The type of its latest event other than opened/clicked; "accepted" when none was seen. */
  status: string;
  time: string;
  reply?: string;
}

export interface MessageSummary {
  id: string;
  account?: string;
  tag?: string;
  route?: string;
  acceptedAt: string;
  recipients: RecipientSummary[];
}

export interface MessageSearchPage {
  messages: MessageSummary[];
  next: string | null;
  since: string;
  scanned: number;
  scanLimit: number;
  /** True when the page ended because `scanLimit` lines were read: `next` continues the search. */
  scanLimitHit: boolean;
}

/** One step of a recipient's timeline: the event without the fields the message already names. */
export type TimelineStep = Omit<StoredEvent, 'id' | 'account' | 'tag' | 'route' | 'recipient'>;

export interface RecipientTimeline {
  recipient: string;
  status: string;
  opens: number;
  clicks: number;
  /** A copy of what was sent can be fetched (GET /api/messages/{id}/content?recipient=); absent without a content source. */
  content?: boolean;
  timeline: TimelineStep[];
}

export interface MessageTimeline {
  id: string;
  account?: string;
  tag?: string;
  route?: string;
  acceptedAt: string | null;
  /** memory: the index of recent messages; log: a scan of the event log. */
  source: 'memory' | 'log';
  /** False when the accepted events were not reached (scan bound, or rotated out of the log) or events were left out. */
  complete: boolean;
  scanned: number;
  scanLimitHit: boolean;
  /** With a content source: when the retained copies expire (ISO 8601), or null when none is kept. */
  retainedUntil?: string | null;
  recipients: RecipientTimeline[];
}

const QUEUE_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** The outbound Message-ID: `<queue id>.<recipient index>@<hostname>` (message-acceptor.ts). */
const MESSAGE_ID = /^([A-Za-z0-9_-]{1,64})\.(\d{1,6})@[^\s<>@]{1,255}$/;
const SEARCH_CURSOR = /^(\d{1,8}):(\d{1,12}):(\d{1,4})$/;
const ENGAGEMENT = new Set(['opened', 'clicked']);
const PAGE_EVENTS = 1000;
/** Queue ids made before this are not read as times (they are some other id). */
const EARLIEST_ID_TIME = Date.parse('2020-01-01T00:00:00Z');
/** Events are stamped by their caller slightly after the id was made; this covers a clock step back. */
const ID_TIME_SLACK_MS = 60_000;

/** The queue id a reference names: a queue id, or an outbound Message-ID (with or without its angle brackets). */
export function parseMessageRef(raw: string): { id: string; index: number | null } | null {
  const s = raw.trim().replace(/^<(.*)>$/, '$1');
  if (QUEUE_ID.test(s)) return { id: s, index: null };
  const m = MESSAGE_ID.exec(s);
  return m ? { id: m[1]!, index: Number(m[2]) } : null;
}

/** When a queue id made by createSpoolId was made (its first 9 characters are the time in base 36), or null. */
export function timeOfQueueId(id: string, now: number): number | null {
  if (id.length < 25 || !/^[0-9a-z]{9}/.test(id)) return null;
  const t = parseInt(id.slice(0, 9), 36);
  return t >= EARLIEST_ID_TIME && t <= now + 86_400_000 ? t : null;
}

function iso(t: number | string | undefined): string {
  return typeof t === 'string' ? t : new Date(t ?? 0).toISOString();
}

function stepOf(e: RelayEvent | StoredEvent): TimelineStep {
  const { id: _id, account: _account, tag: _tag, route: _route, recipient: _recipient, ...rest } = e;
  return { ...rest, time: iso(e.time) };
}

export class MessageActivity {
  private readonly now: () => number;
  readonly maxScan: number;
  private readonly maxTimelineEvents: number;

  constructor(private readonly o: MessageActivityOptions) {
    this.now = o.now ?? Date.now;
    this.maxScan = Math.max(1, o.maxScan ?? 100_000);
    this.maxTimelineEvents = Math.max(1, o.maxTimelineEvents ?? 5000);
  }

  /** Messages accepted since `since` that match, newest first, `limit` per page. */
  async search(q: MessageSearch): Promise<MessageSearchPage> {
    let pos: string | undefined;
    let skip = 0;
    if (q.cursor !== undefined) {
      const m = SEARCH_CURSOR.exec(q.cursor);
      if (!m) throw AdminRequestError.badParameter('cursor', 'must be a cursor from a previous page (next)');
      pos = `${m[1]}:${m[2]}`;
      skip = Number(m[3]);
    }
    const base: EventQuery = { from: q.since };
    if (q.recipient !== undefined) base.recipient = q.recipient;
    if (q.tag !== undefined) base.tag = q.tag;
    if (q.account !== undefined) base.account = q.account;
    const found = new Map<string, MessageSummary>();
    // Events newer than a message's accepted ones come first (newest first): its latest state per recipient.
    const latest = new Map<string, Map<string, StoredEvent>>();
    let scanned = 0;
    const done = (next: string | null, scanLimitHit: boolean): MessageSearchPage => ({
      messages: [...found.values()].map((m) => this.withRecentState(m, latest.get(m.id))),
      next,
      since: iso(q.since),
      scanned,
      scanLimit: this.maxScan,
      scanLimitHit,
    });
    for (;;) {
      const query: EventQuery = { ...base, limit: PAGE_EVENTS, maxScan: this.maxScan - scanned };
      if (pos !== undefined) query.cursor = pos;
      const page = await this.read(query);
      scanned += page.scanned ?? 0;
      const list = page.events;
      for (let i = skip; i < list.length; i++) {
        const e = list[i]!;
        if (e.id === undefined || e.recipient === undefined) continue;
        if (e.type === 'accepted') {
          let m = found.get(e.id);
          if (m === undefined) {
            // The page is full: the next one starts at this message's first accepted event.
            if (found.size === q.limit) return done(`${page.start}:${i}`, false);
            m = { id: e.id, acceptedAt: e.time, recipients: [] };
            if (e.account !== undefined) m.account = e.account;
            if (e.tag !== undefined) m.tag = e.tag;
            if (e.route !== undefined) m.route = e.route;
            found.set(e.id, m);
          }
          m.acceptedAt = e.time;
          m.recipients.unshift({ recipient: e.recipient, status: 'accepted', time: e.time });
        } else if (!found.has(e.id) && !ENGAGEMENT.has(e.type)) {
          let byRecipient = latest.get(e.id);
          if (byRecipient === undefined) latest.set(e.id, (byRecipient = new Map()));
          const key = e.recipient.toLowerCase();
          if (!byRecipient.has(key)) byRecipient.set(key, e);
        }
      }
      skip = 0;
      if (page.next === null) return done(null, false);
      if (page.scanLimited || scanned >= this.maxScan) return done(`${page.next}:0`, true);
      pos = page.next;
    }
  }

  /** The message's timeline; 404 when no event of it is found. */
  async message(ref: string): Promise<MessageTimeline> {
    const parsed = parseMessageRef(ref);
    if (parsed === null) throw AdminRequestError.badParameter('id', 'must be a queue id ([A-Za-z0-9_-]{1,64}) or an outbound Message-ID (<id>.<n>@<host>)');
    const { id } = parsed;
    const recent = this.o.recent?.complete(id) ?? null;
    let timeline: MessageTimeline;
    if (recent !== null) {
      timeline = this.build(id, recent, { source: 'memory', complete: true, scanned: 0, scanLimitHit: false });
    } else {
      const made = timeOfQueueId(id, this.now());
      const query: EventQuery = { id, limit: PAGE_EVENTS };
      if (made !== null) query.from = made - ID_TIME_SLACK_MS;
      const events: StoredEvent[] = [];
      let scanned = 0;
      let scanLimitHit = false;
      let truncated = false;
      for (;;) {
        const page = await this.read({ ...query, maxScan: this.maxScan - scanned });
        scanned += page.scanned ?? 0;
        events.push(...page.events);
        if (events.length >= this.maxTimelineEvents) {
          truncated = page.next !== null || events.length > this.maxTimelineEvents;
          events.length = Math.min(events.length, this.maxTimelineEvents);
          break;
        }
        if (page.next === null) break;
        if (page.scanLimited || scanned >= this.maxScan) {
          scanLimitHit = true;
          break;
        }
        query.cursor = page.next;
      }
      if (events.length === 0) {
        const where = scanLimitHit
          ? `in the ${scanned} newest events of the log (the scan limit; older events were not read)`
          : made !== null
            ? `in the event log since ${iso(made)}, when its id was made`
            : 'in the event log';
        throw new AdminRequestError(404, 'not found', 'id', `no events of message ${id} ${where}`);
      }
      events.reverse();
      const accepted = events.some((e) => e.type === 'accepted');
      timeline = this.build(id, events, { source: 'log', complete: accepted && !scanLimitHit && !truncated, scanned, scanLimitHit });
    }
    await this.addContentState(timeline);
    return timeline;
  }

  /** The composed message as sent to one recipient (retained, or still in the spool); 404 naming why when there is none. */
  async content(ref: string, recipient: string | undefined): Promise<{ id: string; recipient: string; body: Buffer; source: 'retention' | 'spool' }> {
    const parsed = parseMessageRef(ref);
    const timeline = await this.message(ref);
    const id = timeline.id;
    let r: RecipientTimeline | undefined;
    if (recipient === undefined) {
      const byIndex = parsed?.index ?? null;
      if (byIndex !== null && timeline.complete) r = timeline.recipients[byIndex];
      else if (timeline.recipients.length === 1) r = timeline.recipients[0];
      if (r === undefined) {
        const names = timeline.recipients.slice(0, 10).map((x) => x.recipient).join(', ');
        throw AdminRequestError.badParameter('recipient', `is required: message ${id} has ${timeline.recipients.length} recipients (${names}${timeline.recipients.length > 10 ? ', ...' : ''})`);
      }
    } else {
      const key = recipient.toLowerCase();
      r = timeline.recipients.find((x) => x.recipient.toLowerCase() === key);
      if (r === undefined) throw new AdminRequestError(404, 'not found', 'recipient', `message ${id} has no recipient ${recipient}`);
    }
    const c = this.o.content;
    if (!c) throw new AdminRequestError(404, 'not found', null, 'this admin server has no message content (retention is not wired)');
    const account = timeline.account ?? '';
    const days = c.retentionDays(account);
    if (days === null) throw new AdminRequestError(404, 'not retained', null, `retention is off for account ${account}: no copy of its messages is kept (set "retention": { "days": N })`);
    const kept = await c.retained(id, r.recipient);
    if (kept !== null) return { id, recipient: r.recipient, body: kept, source: 'retention' };
    const queued = await c.queued(id, r.recipient);
    if (queued !== null) return { id, recipient: r.recipient, body: queued, source: 'spool' };
    throw new AdminRequestError(404, 'not retained', null, await this.whyNotRetained(id, r, days));
  }

  private async whyNotRetained(id: string, r: RecipientTimeline, days: number): Promise<string> {
    const state = await this.o.content?.retainedRecipients(id, [r.recipient]);
    if (state && state.expired) return `the copy of message ${id} expired at ${iso(state.expiresAt)} (kept ${days} days)`;
    if (r.status === 'suppressed') return `message ${id} was never sent to ${r.recipient}: the address is suppressed`;
    const final = r.timeline.find((s) => s.type === 'delivered' || s.type === 'failed');
    if (final !== undefined && Date.parse(final.time) + (days + 1) * 86_400_000 <= this.now()) {
      return `the copy of message ${id} for ${r.recipient} is past its ${days} days of retention and was removed`;
    }
    return `no copy of message ${id} for ${r.recipient} was kept (sent while retention was off for its account, or lost with the data folder)`;
  }

  private async addContentState(t: MessageTimeline): Promise<void> {
    const c = this.o.content;
    if (!c) return;
    const state = await c.retainedRecipients(t.id, t.recipients.map((r) => r.recipient));
    const days = c.retentionDays(t.account ?? '');
    t.retainedUntil = state && !state.expired ? iso(state.expiresAt) : null;
    for (const r of t.recipients) {
      // A message still in the spool can be read there (while its account keeps copies).
      const pending = r.status === 'accepted' || r.status === 'deferred';
      r.content = (state !== null && !state.expired && state.recipients.has(r.recipient.toLowerCase())) || (days !== null && pending);
    }
  }

  private build(id: string, events: readonly (RelayEvent | StoredEvent)[], how: Pick<MessageTimeline, 'source' | 'complete' | 'scanned' | 'scanLimitHit'>): MessageTimeline {
    const t: MessageTimeline = { id, acceptedAt: null, ...how, recipients: [] };
    const byRecipient = new Map<string, RecipientTimeline>();
    for (const e of events) {
      if (t.account === undefined && e.account !== undefined) t.account = e.account;
      if (t.tag === undefined && e.tag !== undefined) t.tag = e.tag;
      if (t.route === undefined && e.route !== undefined) t.route = e.route;
      if (e.type === 'accepted' && t.acceptedAt === null) t.acceptedAt = iso(e.time);
      if (e.recipient === undefined) continue;
      const key = e.recipient.toLowerCase();
      let r = byRecipient.get(key);
      if (r === undefined) {
        r = { recipient: e.recipient, status: e.type, opens: 0, clicks: 0, timeline: [] };
        byRecipient.set(key, r);
        t.recipients.push(r);
      }
      if (e.type === 'opened') r.opens++;
      else if (e.type === 'clicked') r.clicks++;
      else r.status = e.type;
      r.timeline.push(stepOf(e));
    }
    return t;
  }

  /** A search result with each recipient's latest state: from the index when it holds the message, else from the scan. */
  private withRecentState(m: MessageSummary, seen: Map<string, StoredEvent> | undefined): MessageSummary {
    const recent = this.o.recent?.complete(m.id) ?? null;
    const latestOf = new Map<string, RelayEvent | StoredEvent>();
    if (recent !== null) {
      for (const e of recent) if (e.recipient !== undefined && !ENGAGEMENT.has(e.type)) latestOf.set(e.recipient.toLowerCase(), e);
    } else if (seen !== undefined) {
      for (const [k, e] of seen) latestOf.set(k, e);
    }
    for (const r of m.recipients) {
      const e = latestOf.get(r.recipient.toLowerCase());
      if (e === undefined || e.type === 'accepted') continue;
      r.status = e.type;
      r.time = iso(e.time);
      if (e.reply !== undefined) r.reply = e.reply;
    }
    return m;
  }

  private async read(query: EventQuery): Promise<EventPage> {
    try {
      return await this.o.events.read(query);
    } catch (e) {
      // Parameters are checked before; what the log refuses is the cursor.
      if (e instanceof EventQueryError) throw AdminRequestError.badParameter('cursor', e.message);
      throw e;
    }
  }
}
