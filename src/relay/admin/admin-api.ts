// The JSON (and CSV) endpoints of the admin server: stats, events, suppressions, accounts.
// Each handler reads its parameters through QueryReader, so every refusal names the parameter at fault.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EVENT_TYPES, EventQueryError, type EventQuery, type EventType, type StoredEvent } from '../storage/event-log.js';
import { suppressionKey, type SuppressionEntry } from '../storage/suppression-list.js';
import { csvRow } from './csv.js';
import type { QueueRoute } from './queue.js';
import { readJsonObject, send, sendJson } from './http-io.js';
import { AdminRequestError, QueryReader, formatInterval } from './query.js';
import { StatsQueryError, type EventReader, type TagStats } from './stats.js';

/** The part of the SuppressionList the API uses. */
export interface SuppressionStore {
  list(account: string): SuppressionEntry[];
  add(account: string, address: string, reason: string): Promise<boolean>;
  remove(account: string, address: string): Promise<boolean>;
}

export interface AdminApiDeps {
  stats: TagStats;
  events: EventReader;
  suppressions: SuppressionStore;
  /** Account ids of the running configuration (read at each request, so a reload shows at once). */
  accounts(): readonly string[];
  /** Per route: spooled messages waiting, and each destination's state (queue.ts). */
  queue(): QueueRoute[];
  maxBodyBytes: number;
  maxExportRows: number;
  now(): number;
}

const TAG = { pattern: /^[a-z0-9._-]{1,64}$/, describe: 'a tag: 1 to 64 of a-z 0-9 . _ -', maxLength: 64 };
const ACCOUNT = { pattern: /^[A-Za-z0-9._-]{1,64}$/, describe: 'an account id: 1 to 64 of A-Z a-z 0-9 . _ -', maxLength: 64 };
const ADDRESS = { pattern: /^[^\s@\u0000-\u001f\u007f]{1,64}@[^\s@\u0000-\u001f\u007f]{1,255}$/u, describe: 'an email address (local@domain)', maxLength: 320 };
const CURSOR = { pattern: /^[0-9A-Za-z:_-]{1,64}$/, describe: 'a cursor from a previous page' };
/** Intervals tried, smallest first, when the request does not give one. */
const AUTO_INTERVALS_MS = [60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000];
const AUTO_MAX_POINTS = 400;
const DEFAULT_RANGE_MS = 24 * 3_600_000;
const PAGE_LIMIT_MAX = 1000;
export const CSV_COLUMNS = ['time', 'type', 'id', 'account', 'tag', 'route', 'recipient', 'reply', 'attempt', 'latencyMs', 'dropped', 'destination'] as const;

export class AdminApi {
  constructor(private readonly d: AdminApiDeps) {}

  /** Every account; with `?account=` (forced to an account token's own) just that one, so a customer sees only theirs. */
  accounts(_req: IncomingMessage, res: ServerResponse, url: URL): void {
    const account = this.account(new QueryReader(url.searchParams, ['account']), false);
    sendJson(res, 200, { accounts: account === undefined ? this.knownAccounts() : [account] });
  }

  queue(_req: IncomingMessage, res: ServerResponse, url: URL): void {
    const q = new QueryReader(url.searchParams, ['account']);
    const account = this.account(q, false);
    const routes = this.d.queue().filter((r) => account === undefined || r.account === account);
    sendJson(res, 200, { routes });
  }

  stats(_req: IncomingMessage, res: ServerResponse, url: URL): void {
    const q = new QueryReader(url.searchParams, ['account', 'tag', 'from', 'to', 'interval']);
    const account = this.account(q, false);
    const tag = q.string('tag', TAG);
    const to = q.time('to') ?? this.d.now();
    const from = q.time('from') ?? to - DEFAULT_RANGE_MS;
    if (to <= from) throw AdminRequestError.badParameter('to', 'must be later than from');
    const intervalMs = q.interval('interval') ?? autoInterval(from, to);
    try {
      const query = { accounts: account === undefined ? this.knownAccounts() : [account], from, to, intervalMs };
      const report = this.d.stats.query(tag === undefined ? query : { ...query, tag });
      sendJson(res, 200, { ...report, interval: formatInterval(intervalMs) });
    } catch (e) {
      if (e instanceof StatsQueryError) throw AdminRequestError.badParameter(e.parameter, e.reason);
      throw e;
    }
  }

  async events(_req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const q = new QueryReader(url.searchParams, ['account', 'tag', 'type', 'recipient', 'from', 'to', 'cursor', 'limit', 'format']);
    const format = q.oneOf('format', ['json', 'csv'] as const) ?? 'json';
    const query: EventQuery = {};
    const account = this.account(q, false);
    if (account !== undefined) query.account = account;
    const tag = q.string('tag', TAG);
    if (tag !== undefined) query.tag = tag;
    const types = eventTypes(q.string('type', { maxLength: 100 }));
    if (types !== undefined) query.type = types;
    const recipient = q.string('recipient', ADDRESS);
    if (recipient !== undefined) query.recipient = recipient;
    const from = q.time('from');
    if (from !== undefined) query.from = from;
    const to = q.time('to');
    if (to !== undefined) query.to = to;
    if (from !== undefined && to !== undefined && to <= from) throw AdminRequestError.badParameter('to', 'must be later than from');
    const cursor = q.string('cursor', CURSOR);
    if (cursor !== undefined) query.cursor = cursor;

    if (format === 'json') {
      query.limit = q.integer('limit', 1, PAGE_LIMIT_MAX) ?? 100;
      const page = await this.readPage(query);
      sendJson(res, 200, { events: page.events, next: page.next });
      return;
    }
    // CSV: every matching row (from the cursor on), up to `limit` or the export bound.
    const wanted = q.integer('limit', 1, this.d.maxExportRows) ?? this.d.maxExportRows;
    const rows: string[] = [csvRow(CSV_COLUMNS)];
    let next: string | null = null;
    let count = 0;
    for (;;) {
      const page = await this.readPage({ ...query, limit: Math.min(PAGE_LIMIT_MAX, wanted - count) });
      for (const e of page.events) rows.push(csvRow(CSV_COLUMNS.map((c) => csvCell(e, c))));
      count += page.events.length;
      next = page.next;
      if (next === null || count >= wanted) break;
      query.cursor = next;
    }
    const name = `txrelay-events-${account ?? 'all'}-${new Date(this.d.now()).toISOString().replace(/[:.]/g, '-')}.csv`;
    const headers: Record<string, string> = { 'content-disposition': `attachment; filename="${name}"` };
    if (next !== null) headers['x-next-cursor'] = next;
    send(res, 200, 'text/csv; charset=utf-8; header=present', rows.join(''), headers);
  }

  listSuppressions(_req: IncomingMessage, res: ServerResponse, url: URL): void {
    const q = new QueryReader(url.searchParams, ['account']);
    const account = this.account(q, true)!;
    sendJson(res, 200, { account, suppressions: this.d.suppressions.list(account).map(suppressionJson) });
  }

  async addSuppression(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const q = new QueryReader(url.searchParams, ['account']);
    const account = this.account(q, true)!;
    const body = await readJsonObject(req, this.d.maxBodyBytes);
    for (const key of Object.keys(body)) {
      if (key !== 'address' && key !== 'reason') throw AdminRequestError.badParameter(key, 'unknown field (expected address, reason)');
    }
    const address = body['address'];
    if (typeof address !== 'string' || !ADDRESS.pattern.test(address) || address.length > ADDRESS.maxLength) {
      throw AdminRequestError.badParameter('address', `must be ${ADDRESS.describe}`);
    }
    const reason = body['reason'] ?? 'added by an operator';
    if (typeof reason !== 'string' || reason.length > 1000 || /[\u0000-\u001f\u007f]/.test(reason)) {
      throw AdminRequestError.badParameter('reason', 'must be a single-line string of at most 1000 characters');
    }
    const added = await this.d.suppressions.add(account, address, reason);
    const entry = this.d.suppressions.list(account).find((e) => e.tag === undefined && suppressionKey(e.address) === suppressionKey(address));
    sendJson(res, added ? 201 : 200, { account, added, suppression: entry ? suppressionJson(entry) : null });
  }

  async removeSuppression(_req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const q = new QueryReader(url.searchParams, ['account', 'address']);
    const account = this.account(q, true)!;
    const address = q.required('address', ADDRESS);
    const removed = await this.d.suppressions.remove(account, address);
    if (!removed) throw new AdminRequestError(404, 'not found', 'address', `${address} is not on the suppression list of account ${account}`);
    sendJson(res, 200, { account, removed: true, address });
  }

  /** Accounts of the configuration, plus any that still have stats from before a reload removed them. */
  private knownAccounts(): string[] {
    return [...new Set([...this.d.accounts(), ...this.d.stats.accountIds()])].sort();
  }

  private account(q: QueryReader, required: boolean): string | undefined {
    const account = required ? q.required('account', ACCOUNT) : q.string('account', ACCOUNT);
    if (account !== undefined && !this.knownAccounts().includes(account)) {
      throw new AdminRequestError(404, 'not found', 'account', `no account ${JSON.stringify(account)} in the configuration`);
    }
    return account;
  }

  private async readPage(query: EventQuery): Promise<Awaited<ReturnType<EventReader['read']>>> {
    try {
      return await this.d.events.read(query);
    } catch (e) {
      // Limits are checked above, so what the event log refuses is the cursor.
      if (e instanceof EventQueryError) throw AdminRequestError.badParameter('cursor', e.message);
      throw e;
    }
  }
}

function eventTypes(v: string | undefined): EventType[] | undefined {
  if (v === undefined) return undefined;
  const types = v.split(',').map((t) => t.trim());
  for (const t of types) {
    if (!(EVENT_TYPES as readonly string[]).includes(t)) throw AdminRequestError.badParameter('type', `must be one or more (comma-separated) of: ${EVENT_TYPES.join(', ')}`);
  }
  return types as EventType[];
}

function autoInterval(from: number, to: number): number {
  for (const ms of AUTO_INTERVALS_MS) if ((to - from) / ms <= AUTO_MAX_POINTS) return ms;
  return AUTO_INTERVALS_MS[AUTO_INTERVALS_MS.length - 1]!;
}

/** A tag-scoped entry (one-click unsubscribe with scope "tag") carries its tag; an account-wide one has none. */
function suppressionJson(e: SuppressionEntry): { address: string; reason: string; time: string; tag?: string } {
  const out: { address: string; reason: string; time: string; tag?: string } = { address: e.address, reason: e.reason, time: new Date(e.time).toISOString() };
  if (e.tag !== undefined) out.tag = e.tag;
  return out;
}

/** One CSV cell of an event; the dropped-parts list becomes "type name size; ..." text. */
function csvCell(e: StoredEvent, column: string): string | number | null | undefined {
  if (column === 'dropped') return e.dropped?.map((d) => `${d.type} ${d.filename ?? '-'} ${d.size}`).join('; ');
  const v = e[column as Exclude<keyof StoredEvent, 'dropped'>];
  return typeof v === 'boolean' ? String(v) : v;
}
