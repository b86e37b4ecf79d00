// Per-account, per-tag (and per recipient domain within a tag) counts of the event types (bounces also split into
// hard and soft), kept as
// minute buckets in memory and derived only from the event log: every appended event is folded in, and
// at start the aggregates are rebuilt by replaying the log, oldest first, over the retention window (no checkpoint file,
// so the numbers can never disagree with the log they come from).
import { EVENT_TYPES, type EventLog, type EventPage, type EventQuery, type EventType } from '../storage/event-log.js';
import { DEFAULT_MAX_SEEN_KEYS, SeenKeys, seenKey } from './seen-keys.js';

/**
 * What is counted: every event type, `bounced` split into hard and soft (bounced = bouncedHard + bouncedSoft), and
 * the opens and clicks a machine made (scanners, proxies: tracking/machine-fetch.ts), counted apart: the human ones
 * are opened - openedMachine and clicked - clickedMachine. The unique counts are the distinct (message, recipient)
 * pairs that opened (clicked) at least once, by a person or by a machine, each counted in the minute of its first
 * such event (seen-keys.ts bounds what is remembered).
 */
export const COUNTED = [
  ...EVENT_TYPES, 'bouncedHard', 'bouncedSoft', 'openedMachine', 'clickedMachine',
  'openedUniqueHuman', 'openedUniqueMachine', 'clickedUniqueHuman', 'clickedUniqueMachine',
] as const;
export type CountedName = (typeof COUNTED)[number];
export type OutcomeCounts = Record<CountedName, number>;

/** Feedback and engagement as a share of the delivered recipients (0.02 = 2 %); null when nothing was delivered. */
export interface FeedbackRates {
  bounced: number | null;
  bouncedHard: number | null;
  complained: number | null;
  /** Unique human opens per delivered recipient. */
  opened: number | null;
  /** Unique human clicks per delivered recipient. */
  clicked: number | null;
}

/** The fields of an event the stats read; time is ms since the epoch (as appended) or ISO 8601 (as stored). */
export interface CountableEvent {
  type: EventType;
  time?: number | string;
  account?: string;
  tag?: string;
  /** The message's spool id: with the recipient, what a unique open or click is unique by. */
  id?: string;
  recipient?: string;
  /** bounced: hard or soft. */
  hard?: boolean;
  /** opened, clicked: made by a machine. */
  machine?: boolean;
}

/** The part of the EventLog the admin API reads. */
export interface EventReader {
  read(query: EventQuery): Promise<EventPage>;
}

/** The part of the EventLog a rebuild reads: every line, oldest first. */
export type LogReplay = Pick<EventLog, 'flush' | 'start' | 'readForward'>;

export interface TagStatsOptions {
  /** Minute buckets older than this are dropped; default 31 days. */
  retentionMs?: number;
  /** Distinct recipient domains per tag before the rest count as "other"; default 200. */
  maxDomainsPerTag?: number;
  /** Distinct tags per account before the rest count as "other"; default 1000 (the relay itself allows 400). */
  maxTagsPerAccount?: number;
  /** Series points a query may ask for; default 2000. */
  maxPoints?: number;
  /** (message, recipient) pairs remembered for the unique open and click counts; default 250,000 (seen-keys.ts). */
  maxSeenKeys?: number;
  now?: () => number;
}

export interface StatsQuery {
  /** Absent: every account with counts. Listed accounts appear even with no counts. */
  accounts?: readonly string[];
  /** Absent: every tag (totals per tag, one series for the account). Present: that tag with its domains. */
  tag?: string;
  /** Inclusive, ms since the epoch. */
  from: number;
  /** Exclusive, ms since the epoch. */
  to: number;
  /** Width of a series point, a whole number of minutes; points start at multiples of it since the epoch (UTC). */
  intervalMs: number;
}

export interface SeriesPoint extends OutcomeCounts {
  /** ISO 8601 start of the point's interval. */
  start: string;
}

export interface DomainReport {
  domain: string;
  totals: OutcomeCounts;
  series: SeriesPoint[];
}

export interface TagReport {
  tag: string;
  totals: OutcomeCounts;
  rates: FeedbackRates;
  /** Present when the query named this tag. */
  series?: SeriesPoint[];
  /** Present when the query named this tag; busiest first. */
  domains?: DomainReport[];
}

export interface AccountReport {
  account: string;
  totals: OutcomeCounts;
  rates: FeedbackRates;
  series: SeriesPoint[];
  /** Busiest first (by accepted, then by name). */
  tags: TagReport[];
}

export interface StatsReport {
  from: string;
  to: string;
  intervalMs: number;
  accounts: AccountReport[];
}

/** A stats query the aggregates cannot answer, naming the query parameter at fault. */
export class StatsQueryError extends Error {
  constructor(
    readonly parameter: string,
    readonly reason: string,
  ) {
    super(`stats query ${parameter}: ${reason}`);
    this.name = 'StatsQueryError';
  }
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;
export const OVERFLOW_KEY = 'other';
export const UNTAGGED = 'untagged';
const SLOTS = COUNTED.length;
const SLOT = Object.fromEntries(COUNTED.map((t, i) => [t, i])) as Record<CountedName, number>;

/** Minute index → counts, one slot per event type. */
type MinuteSeries = Map<number, Float64Array>;

interface TagAggregate {
  minutes: MinuteSeries;
  domains: Map<string, MinuteSeries>;
}

export class TagStats {
  private readonly accounts = new Map<string, Map<string, TagAggregate>>();
  private readonly retentionMs: number;
  private readonly maxDomainsPerTag: number;
  private readonly maxTagsPerAccount: number;
  private readonly maxPoints: number;
  private readonly now: () => number;
  private lastPruneMinute = 0;
  /** Events timed before this were counted by the rebuild; live events after it are folded in as they come. */
  private rebuiltUntil = -Infinity;
  private rebuilding = false;
  private readonly seen: SeenKeys;

  constructor(o: TagStatsOptions = {}) {
    this.seen = new SeenKeys(o.maxSeenKeys ?? DEFAULT_MAX_SEEN_KEYS);
    this.retentionMs = o.retentionMs ?? 31 * DAY_MS;
    this.maxDomainsPerTag = o.maxDomainsPerTag ?? 200;
    this.maxTagsPerAccount = o.maxTagsPerAccount ?? 1000;
    this.maxPoints = o.maxPoints ?? 2000;
    this.now = o.now ?? Date.now;
  }

  /**
   * Replays the event log over the retention window, oldest first (the order the events were appended in, so a
   * unique open is counted at the same first event as it was live). Events appended while it runs are recorded
   * live: the replay takes only events timed before the moment it began, so nothing is counted twice.
   */
  async rebuildFrom(log: LogReplay): Promise<number> {
    const until = this.now();
    const from = until - this.retentionMs;
    this.rebuilding = true;
    this.rebuiltUntil = until;
    let folded = 0;
    try {
      await log.flush();
      let position = log.start();
      for (;;) {
        const batch = await log.readForward(position, 1024 * 1024);
        if (batch.events.length === 0) break;
        for (const { event } of batch.events) {
          const t = Date.parse(event.time);
          if (t >= from && t < until && this.fold(event, t)) folded++;
        }
        position = batch.next;
      }
    } finally {
      this.rebuilding = false;
    }
    return folded;
  }

  /** Folds one event appended to the log. */
  record(event: CountableEvent): void {
    const t = timeOf(event, this.now);
    // While a rebuild replays the log, an event timed before its start is already in the replay.
    if (this.rebuilding && t < this.rebuiltUntil) return;
    this.fold(event, t);
    const minute = Math.floor(this.now() / MINUTE_MS);
    if (minute - this.lastPruneMinute >= 60) this.prune(minute);
  }

  /** Accounts that have counts, sorted. */
  accountIds(): string[] {
    return [...this.accounts.keys()].sort();
  }

  query(q: StatsQuery): StatsReport {
    const { from, to, intervalMs } = q;
    if (!Number.isFinite(from) || !Number.isFinite(to)) throw new StatsQueryError('from', 'from and to must be times');
    if (to <= from) throw new StatsQueryError('to', 'must be later than from');
    if (!Number.isInteger(intervalMs) || intervalMs < MINUTE_MS || intervalMs % MINUTE_MS !== 0) {
      throw new StatsQueryError('interval', 'must be a whole number of minutes');
    }
    const firstPoint = Math.floor(from / intervalMs) * intervalMs;
    const points = Math.ceil((to - firstPoint) / intervalMs);
    if (points > this.maxPoints) throw new StatsQueryError('interval', `gives ${points} points over this range; at most ${this.maxPoints} (choose a longer interval or a shorter range)`);
    const range: Range = { fromMinute: Math.ceil(from / MINUTE_MS), toMinute: Math.ceil(to / MINUTE_MS), firstPoint, intervalMs, points };

    const accountIds = q.accounts ?? this.accountIds();
    const accounts: AccountReport[] = [];
    for (const account of accountIds) {
      const tags = this.accounts.get(account) ?? new Map<string, TagAggregate>();
      const accountSeries = new Float64Array(points * SLOTS);
      const tagReports: TagReport[] = [];
      for (const [tag, agg] of tags) {
        if (q.tag !== undefined && tag !== q.tag) continue;
        const series = new Float64Array(points * SLOTS);
        const totals = fill(agg.minutes, range, series);
        addInto(accountSeries, series);
        const counts = countsOf(totals);
        const report: TagReport = { tag, totals: counts, rates: ratesOf(counts) };
        if (q.tag !== undefined) {
          report.series = pointsOf(series, range);
          report.domains = [...agg.domains]
            .map(([domain, minutes]) => {
              const ds = new Float64Array(points * SLOTS);
              const dt = fill(minutes, range, ds);
              return { domain, totals: countsOf(dt), series: pointsOf(ds, range) };
            })
            .filter((d) => sum(d.totals) > 0)
            .sort(busiestFirst((d) => d.domain));
        }
        if (q.tag !== undefined || sum(report.totals) > 0) tagReports.push(report);
      }
      if (q.tag !== undefined && tagReports.length === 0) tagReports.push({ tag: q.tag, totals: zeroCounts(), rates: ratesOf(zeroCounts()), series: pointsOf(new Float64Array(points * SLOTS), range), domains: [] });
      tagReports.sort(busiestFirst((t) => t.tag));
      const totals = zeroCounts();
      for (const t of tagReports) for (const name of COUNTED) totals[name] += t.totals[name];
      accounts.push({ account, totals, rates: ratesOf(totals), series: pointsOf(accountSeries, range), tags: tagReports });
    }
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), intervalMs, accounts };
  }

  /** Drops minute buckets past the retention window. */
  prune(nowMinute: number = Math.floor(this.now() / MINUTE_MS)): void {
    this.lastPruneMinute = nowMinute;
    const oldest = nowMinute - Math.ceil(this.retentionMs / MINUTE_MS);
    for (const tags of this.accounts.values()) {
      for (const agg of tags.values()) {
        dropBefore(agg.minutes, oldest);
        for (const d of agg.domains.values()) dropBefore(d, oldest);
      }
    }
  }

  private fold(event: CountableEvent, t: number = timeOf(event, this.now)): boolean {
    const slot = SLOT[event.type] as number | undefined;
    if (slot === undefined || event.account === undefined || !Number.isFinite(t)) return false; // not attributable to an account
    if (t < this.now() - this.retentionMs) return false;
    let tags = this.accounts.get(event.account);
    if (!tags) {
      tags = new Map();
      this.accounts.set(event.account, tags);
    }
    const tagName = event.tag === undefined || event.tag === '' ? UNTAGGED : event.tag;
    const agg = boundedEntry(tags, tagName, this.maxTagsPerAccount, (): TagAggregate => ({ minutes: new Map(), domains: new Map() }));
    const minute = Math.floor(t / MINUTE_MS);
    const domain = boundedEntry(agg.domains, domainOf(event.recipient), this.maxDomainsPerTag, (): MinuteSeries => new Map());
    bump(agg.minutes, minute, slot);
    bump(domain, minute, slot);
    if (event.type === 'bounced') {
      const kind = SLOT[event.hard === true ? 'bouncedHard' : 'bouncedSoft'];
      bump(agg.minutes, minute, kind);
      bump(domain, minute, kind);
    }
    if (event.type === 'opened' || event.type === 'clicked') {
      const machine = event.machine === true;
      if (machine) {
        const kind = SLOT[event.type === 'opened' ? 'openedMachine' : 'clickedMachine'];
        bump(agg.minutes, minute, kind);
        bump(domain, minute, kind);
      }
      // The first open (click) of a message by one recipient, by a person or by a machine, counts once.
      if (event.id !== undefined && event.recipient !== undefined && this.seen.firstTime(seenKey(event.type, machine ? 'm' : 'h', event.account, event.id, event.recipient))) {
        const kind = SLOT[`${event.type}Unique${machine ? 'Machine' : 'Human'}`];
        bump(agg.minutes, minute, kind);
        bump(domain, minute, kind);
      }
    }
    return true;
  }
}

interface Range {
  fromMinute: number;
  toMinute: number;
  firstPoint: number;
  intervalMs: number;
  points: number;
}

/** The entry of `key`, created while the map holds fewer than `max` keys; past that, the shared "other" entry. */
function boundedEntry<V>(map: Map<string, V>, key: string, max: number, create: () => V): V {
  let v = map.get(key);
  if (v !== undefined) return v;
  if (map.size >= max) key = OVERFLOW_KEY;
  v = map.get(key);
  if (v === undefined) {
    v = create();
    map.set(key, v);
  }
  return v;
}

function bump(series: MinuteSeries, minute: number, slot: number): void {
  let counts = series.get(minute);
  if (!counts) {
    counts = new Float64Array(SLOTS);
    series.set(minute, counts);
  }
  counts[slot]!++;
}

/** Adds the minutes inside the range into `series` (points × slots); returns the range's totals. */
function fill(minutes: MinuteSeries, r: Range, series: Float64Array): Float64Array {
  const totals = new Float64Array(SLOTS);
  for (const [minute, counts] of minutes) {
    if (minute < r.fromMinute || minute >= r.toMinute) continue;
    const p = Math.floor((minute * MINUTE_MS - r.firstPoint) / r.intervalMs);
    for (let s = 0; s < SLOTS; s++) {
      series[p * SLOTS + s]! += counts[s]!;
      totals[s]! += counts[s]!;
    }
  }
  return totals;
}

function addInto(target: Float64Array, source: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i]! += source[i]!;
}

function pointsOf(series: Float64Array, r: Range): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (let p = 0; p < r.points; p++) {
    const point = { start: new Date(r.firstPoint + p * r.intervalMs).toISOString() } as SeriesPoint;
    for (let s = 0; s < SLOTS; s++) point[COUNTED[s]!] = series[p * SLOTS + s]!;
    out.push(point);
  }
  return out;
}

function countsOf(slots: Float64Array): OutcomeCounts {
  const c = zeroCounts();
  for (let s = 0; s < SLOTS; s++) c[COUNTED[s]!] = slots[s]!;
  return c;
}

export function zeroCounts(): OutcomeCounts {
  return Object.fromEntries(COUNTED.map((name) => [name, 0])) as OutcomeCounts;
}

export function ratesOf(c: OutcomeCounts): FeedbackRates {
  const share = (n: number): number | null => (c.delivered === 0 ? null : n / c.delivered);
  return {
    bounced: share(c.bounced),
    bouncedHard: share(c.bouncedHard),
    complained: share(c.complained),
    opened: share(c.openedUniqueHuman),
    clicked: share(c.clickedUniqueHuman),
  };
}

function sum(c: OutcomeCounts): number {
  let n = 0;
  for (const t of EVENT_TYPES) n += c[t];
  return n;
}

function busiestFirst<T extends { totals: OutcomeCounts }>(name: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => b.totals.accepted - a.totals.accepted || sum(b.totals) - sum(a.totals) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}

function dropBefore(series: MinuteSeries, oldest: number): void {
  for (const minute of series.keys()) if (minute < oldest) series.delete(minute);
}

function timeOf(event: CountableEvent, now: () => number): number {
  if (event.time === undefined) return now();
  return typeof event.time === 'number' ? event.time : Date.parse(event.time);
}

/** The lower-cased domain of a recipient address; "(none)" without one. */
export function domainOf(recipient: string | undefined): string {
  if (recipient === undefined) return '(none)';
  const at = recipient.lastIndexOf('@');
  return at < 0 || at === recipient.length - 1 ? '(none)' : recipient.slice(at + 1).toLowerCase();
}
