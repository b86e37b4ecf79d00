// An account's suppression list through the management API: add, remove, page through, export as CSV and import
// CSV. Pages are ordered by address (domain lower-cased), and the cursor is the last entry's key, so adding or
// removing entries between two pages neither repeats nor skips the others. An import is all or nothing: every line
// is checked first and the errors name their line; only a clean file is written.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { entryKey, type SuppressionEntry } from '../storage/suppression-list.js';
import { csvRow } from './csv.js';
import { CsvSyntaxError, parseCsv } from './csv-reader.js';
import { readBody, readJsonObject, send, sendJson } from './http-io.js';
import { BodyReader, accountOf, sendNoContent, storeOf, writeToStore, type ManagementDeps } from './management-request.js';
import { AdminRequestError, QueryReader, parseTime } from './query.js';

const ADDRESS = { pattern: /^[^\s@\u0000-\u001f\u007f]{1,64}@[^\s@\u0000-\u001f\u007f]{1,255}$/u, describe: 'an email address (local@domain)', maxLength: 320 };
const TAG = { pattern: /^[a-z0-9._-]{1,64}$/, describe: 'a tag: 1 to 64 of a-z 0-9 . _ -', maxLength: 64 };
const CURSOR = { pattern: /^[A-Za-z0-9_-]{1,600}$/, describe: 'the cursor of a previous page', maxLength: 600 };
const PAGE_LIMIT_MAX = 1000;
const CSV_COLUMNS = ['address', 'reason', 'time', 'tag'] as const;
/** An import: at most this many bytes and rows. */
export const MAX_IMPORT_BYTES = 1024 * 1024;
export const MAX_IMPORT_ROWS = 10_000;
/** Line errors reported for one import (the rest are counted). */
const MAX_IMPORT_ERRORS = 100;
const DEFAULT_REASON = 'added by an operator';
const IMPORT_REASON = 'imported';

interface ImportError {
  line: number;
  parameter: string;
  reason: string;
}

export class SuppressionApi {
  constructor(
    private readonly d: ManagementDeps,
    private readonly maxExportRows: number,
  ) {}

  /** GET .../suppressions (JSON pages, or ?format=csv) and GET .../suppressions.csv. */
  list(_req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>, csvPath = false): void {
    const q = new QueryReader(url.searchParams, csvPath ? ['limit', 'cursor'] : ['limit', 'cursor', 'format']);
    const account = accountOf(this.d, params['id']);
    const format = csvPath ? 'csv' : (q.oneOf('format', ['json', 'csv'] as const) ?? 'json');
    const limit = q.integer('limit', 1, format === 'csv' ? this.maxExportRows : PAGE_LIMIT_MAX) ?? (format === 'csv' ? this.maxExportRows : 100);
    const cursor = q.string('cursor', CURSOR);
    const after = cursor === undefined ? null : Buffer.from(cursor, 'base64url').toString('utf8');
    const sorted = storeOf(this.d).suppressions.list(account.id).map((e) => ({ key: entryKey(e.address, e.tag), e })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const from = after === null ? 0 : firstAfter(sorted, after);
    const page = sorted.slice(from, from + limit);
    const next = from + limit < sorted.length ? Buffer.from(page[page.length - 1]!.key, 'utf8').toString('base64url') : null;
    if (format === 'json') {
      sendJson(res, 200, { account: account.id, suppressions: page.map(({ e }) => entryJson(e)), next });
      return;
    }
    const rows = [csvRow(CSV_COLUMNS), ...page.map(({ e }) => csvRow([e.address, e.reason, new Date(e.time).toISOString(), e.tag ?? '']))];
    const name = `txrelay-suppressions-${account.id}-${new Date(this.d.now()).toISOString().replace(/[:.]/g, '-')}.csv`;
    const headers: Record<string, string> = { 'content-disposition': `attachment; filename="${name}"` };
    if (next !== null) headers['x-next-cursor'] = next;
    send(res, 200, 'text/csv; charset=utf-8; header=present', rows.join(''), headers);
  }

  async add(req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void> {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const body = new BodyReader(await readJsonObject(req, this.d.maxBodyBytes), ['address', 'reason', 'tag']);
    const address = body.string('address', { ...ADDRESS, required: true })!;
    const reason = body.string('reason', { maxLength: 1000, singleLine: true }) ?? DEFAULT_REASON;
    const tag = body.string('tag', TAG);
    // While a shared store is down the entry holds on this relay at once and is written to the store when it returns.
    const queued = !storeOf(this.d).health().up;
    const added = await writeToStore(this.d, `adding ${address} to the suppression list`, (s) => s.suppressions.add(account.id, address, reason, this.d.now(), tag));
    const entry = storeOf(this.d).suppressions.list(account.id).find((e) => entryKey(e.address, e.tag) === entryKey(address, tag));
    sendJson(res, added ? (queued ? 202 : 201) : 200, { account: account.id, added, queued, suppression: entry ? entryJson(entry) : null });
  }

  /** DELETE .../suppressions/{address}[?tag=]: 204, or 404 naming the address. */
  async remove(_req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void> {
    const q = new QueryReader(url.searchParams, ['tag']);
    const account = accountOf(this.d, params['id']);
    const address = params['address'] ?? '';
    if (address.length > ADDRESS.maxLength || !ADDRESS.pattern.test(address)) throw AdminRequestError.badParameter('address', `must be ${ADDRESS.describe}, URL-encoded`);
    const tag = q.string('tag', TAG) ?? null;
    const listed = storeOf(this.d).suppressions.list(account.id).some((e) => entryKey(e.address, e.tag) === entryKey(address, tag));
    const removed = listed && (await writeToStore(this.d, `removing ${address} from the suppression list`, (s) => s.suppressions.remove(account.id, address, this.d.now(), tag)));
    if (!removed) {
      throw new AdminRequestError(404, 'not found', 'address', `${address} is not on the suppression list of account ${account.id}${tag === null ? '' : ` for tag ${tag}`}`);
    }
    sendNoContent(res);
  }

  /** POST .../suppressions/import, text/csv: address,reason[,time[,tag]] per line, an optional header line. */
  async import(req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void> {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'text/csv') throw new AdminRequestError(415, 'unsupported media type', 'body', 'must be text/csv (address,reason per line)');
    const bytes = await readBody(req, MAX_IMPORT_BYTES);
    let text = bytes.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a spreadsheet's byte order mark
    let rows;
    try {
      rows = parseCsv(text);
    } catch (e) {
      if (e instanceof CsvSyntaxError) throw importRefused([{ line: e.line, parameter: 'body', reason: e.reason }], 1);
      throw e;
    }
    let columns: readonly string[] = CSV_COLUMNS;
    if (rows.length > 0 && rows[0]!.cells[0]?.trim().toLowerCase() === 'address') {
      columns = rows[0]!.cells.map((c) => c.trim().toLowerCase());
      const unknown = columns.find((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
      if (unknown !== undefined) throw importRefused([{ line: rows[0]!.line, parameter: 'header', reason: `unknown column ${JSON.stringify(unknown)} (columns: ${CSV_COLUMNS.join(', ')})` }], 1);
      rows = rows.slice(1);
    }
    if (rows.length > MAX_IMPORT_ROWS) throw AdminRequestError.badParameter('body', `has ${rows.length} rows; at most ${MAX_IMPORT_ROWS} per import`);

    const now = this.d.now();
    const entries: Array<{ address: string; reason: string; time: number; tag: string | null }> = [];
    const errors: ImportError[] = [];
    let errorCount = 0;
    for (const row of rows) {
      const r = readRow(row.cells, columns, now);
      if ('errors' in r) {
        errorCount += r.errors.length;
        for (const e of r.errors) if (errors.length < MAX_IMPORT_ERRORS) errors.push({ line: row.line, ...e });
      } else entries.push(r);
    }
    if (errorCount > 0) throw importRefused(errors, errorCount);

    let added = 0;
    await writeToStore(this.d, 'the import', async (s) => {
      for (const e of entries) if (await s.suppressions.add(account.id, e.address, e.reason, e.time, e.tag)) added++;
    });
    sendJson(res, 200, { account: account.id, rows: entries.length, added, existing: entries.length - added });
  }
}

/** One row's entry, or every error of the row. */
function readRow(cells: string[], columns: readonly string[], now: number): { address: string; reason: string; time: number; tag: string | null } | { errors: Array<{ parameter: string; reason: string }> } {
  const errors: Array<{ parameter: string; reason: string }> = [];
  if (cells.length > columns.length) errors.push({ parameter: 'row', reason: `has ${cells.length} cells; expected at most ${columns.length} (${columns.join(', ')})` });
  const cell = (name: string): string => {
    const i = columns.indexOf(name);
    return i < 0 ? '' : (cells[i] ?? '').trim();
  };
  const address = cell('address');
  if (address === '') errors.push({ parameter: 'address', reason: 'is required' });
  else if (address.length > ADDRESS.maxLength || !ADDRESS.pattern.test(address)) errors.push({ parameter: 'address', reason: `must be ${ADDRESS.describe}` });
  const reason = cell('reason') || IMPORT_REASON;
  if (reason.length > 1000 || /[\u0000-\u001f\u007f]/.test(reason)) errors.push({ parameter: 'reason', reason: 'must be a single line of at most 1000 characters' });
  const timeText = cell('time');
  const time = timeText === '' ? now : parseTime(timeText);
  if (time === null) errors.push({ parameter: 'time', reason: 'must be ms since the epoch or an ISO 8601 time' });
  const tag = cell('tag');
  if (tag !== '' && !TAG.pattern.test(tag)) errors.push({ parameter: 'tag', reason: `must be ${TAG.describe}` });
  return errors.length > 0 ? { errors } : { address, reason, time: time!, tag: tag === '' ? null : tag };
}

function importRefused(errors: ImportError[], count: number): AdminRequestError {
  const first = errors[0]!;
  const more = count > 1 ? ` (and ${count - 1} more error${count > 2 ? 's' : ''}; nothing was imported)` : ' (nothing was imported)';
  return new AdminRequestError(400, 'bad request', 'body', `line ${first.line}: ${first.parameter} ${first.reason}${more}`, { errors, errorCount: count });
}

function firstAfter(sorted: Array<{ key: string }>, after: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.key <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function entryJson(e: SuppressionEntry): { address: string; reason: string; time: string; tag?: string } {
  const out: { address: string; reason: string; time: string; tag?: string } = { address: e.address, reason: e.reason, time: new Date(e.time).toISOString() };
  if (e.tag !== undefined) out.tag = e.tag;
  return out;
}
