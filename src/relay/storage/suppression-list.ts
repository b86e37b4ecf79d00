// Per-account suppression lists: addresses that hard-bounced are not sent to again (SPEC §5).
// An entry is account-wide, or holds for one tag only (a one-click unsubscribe with scope "tag", RFC 8058).
// Durable as one append-only file per account, `<dir>/<account>.jsonl`, one JSON record per change, fsynced
// before add/remove resolve; replayed at open. A torn last line (crash mid-append) is ignored.
// Addresses compare with the domain case-insensitive and the local part exact (RFC 5321 §2.4).
import * as nodeFs from 'node:fs/promises';
import { join } from 'node:path';
import stringify from 'fast-json-stable-stringify';
import { JsonLinesAppender, readJsonLines } from './json-lines.js';

export interface SuppressionEntry {
  /** The address as first added (original case). */
  address: string;
  /** Why: the upstream reply of the hard bounce, or an operator's note. */
  reason: string;
  /** When it was added, ms since the epoch. */
  time: number;
  /** Present when the address is suppressed only for messages with this tag. */
  tag?: string;
}

interface SuppressionRecord {
  op: 'add' | 'remove';
  address: string;
  reason?: string;
  time: number;
  tag?: string;
}

/** An account id that cannot be a file name of its own in the folder. */
export class SuppressionAccountError extends Error {
  constructor(account: string) {
    super(`invalid account id for a suppression list: ${JSON.stringify(account)}`);
    this.name = 'SuppressionAccountError';
  }
}

const ACCOUNT_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const SUFFIX = '.jsonl';

/** The comparison key of an address: local part as written, domain lower-cased. */
export function suppressionKey(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : address.slice(0, at + 1) + address.slice(at + 1).toLowerCase();
}

/** The map key of an entry: the address key, then the tag for a tag-scoped entry (NUL is in neither). */
export function entryKey(address: string, tag: string | null | undefined): string {
  const key = suppressionKey(address);
  return tag ? key + '\u0000' + tag : key;
}

interface AccountList {
  entries: Map<string, SuppressionEntry>;
  file: JsonLinesAppender;
  /** Appends of one account run one after another. */
  chain: Promise<void>;
}

export class SuppressionList {
  private readonly accounts = new Map<string, AccountList>();
  private closed = false;

  private constructor(private readonly dir: string) {}

  /** Creates the folder if needed and loads every account's list. */
  static async open(dir: string): Promise<SuppressionList> {
    await nodeFs.mkdir(dir, { recursive: true, mode: 0o700 });
    const list = new SuppressionList(dir);
    for (const name of await nodeFs.readdir(dir)) {
      if (!name.endsWith(SUFFIX)) continue;
      const account = name.slice(0, -SUFFIX.length);
      if (!isAccountId(account)) continue;
      const path = join(dir, name);
      list.accounts.set(account, { entries: replay((await readJsonLines(path)).records), file: new JsonLinesAppender(path), chain: Promise.resolve() });
    }
    return list;
  }

  /** Whether a message to `address` (with `tag`, when given) is suppressed: account-wide, or for that tag. */
  has(account: string, address: string, tag: string | null = null): boolean {
    return this.get(account, address, tag) !== null;
  }

  /** The entry that suppresses a message to an address (with `tag`, when given): the account-wide one first; or null. */
  get(account: string, address: string, tag: string | null = null): SuppressionEntry | null {
    const entries = this.accounts.get(account)?.entries;
    if (!entries) return null;
    return entries.get(suppressionKey(address)) ?? (tag ? entries.get(entryKey(address, tag)) ?? null : null);
  }

  /** The account's suppressed addresses, oldest first. */
  list(account: string): SuppressionEntry[] {
    return [...(this.accounts.get(account)?.entries.values() ?? [])].sort((a, b) => a.time - b.time);
  }

  /**
   * Suppresses an address, account-wide or (with `tag`) for that tag only; durable when the promise resolves.
   * Adding one already listed in the same scope keeps the first entry.
   */
  async add(account: string, address: string, reason: string, time: number = Date.now(), tag: string | null = null): Promise<boolean> {
    const a = this.accountList(account);
    const key = entryKey(address, tag);
    if (a.entries.has(key)) return false;
    const entry: SuppressionEntry = { address, reason, time };
    const record: SuppressionRecord = { op: 'add', address, reason, time };
    if (tag) entry.tag = record.tag = tag;
    a.entries.set(key, entry);
    await this.append(account, a, record);
    return true;
  }

  /** Lifts a suppression (the account-wide one, or with `tag` that tag's); false when it was not listed. */
  async remove(account: string, address: string, time: number = Date.now(), tag: string | null = null): Promise<boolean> {
    const a = this.accounts.get(account);
    const key = entryKey(address, tag);
    if (!a?.entries.has(key)) return false;
    a.entries.delete(key);
    const record: SuppressionRecord = { op: 'remove', address, time };
    if (tag) record.tag = tag;
    await this.append(account, a, record);
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const a of this.accounts.values()) {
      await a.chain;
      await a.file.close();
    }
  }

  private accountList(account: string): AccountList {
    if (!isAccountId(account)) throw new SuppressionAccountError(account);
    let a = this.accounts.get(account);
    if (!a) {
      a = { entries: new Map(), file: new JsonLinesAppender(join(this.dir, account + SUFFIX)), chain: Promise.resolve() };
      this.accounts.set(account, a);
    }
    return a;
  }

  private append(account: string, a: AccountList, record: SuppressionRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('suppression list is closed'));
    const run = (): Promise<void> => a.file.append(stringify(record) + '\n');
    const p = a.chain.then(run);
    a.chain = p.catch(() => undefined);
    return p;
  }
}

/** An account id that can name a suppression list (a file here, a key in the Redis store). */
export function isAccountId(account: string): boolean {
  return ACCOUNT_PATTERN.test(account) && account !== '.' && account !== '..';
}

function replay(records: readonly unknown[]): Map<string, SuppressionEntry> {
  const entries = new Map<string, SuppressionEntry>();
  for (const v of records) {
    const r = v as SuppressionRecord;
    if (typeof r !== 'object' || r === null || typeof r.address !== 'string') continue;
    const tag = typeof r.tag === 'string' && r.tag !== '' ? r.tag : null;
    const key = entryKey(r.address, tag);
    if (r.op === 'add' && !entries.has(key)) {
      const entry: SuppressionEntry = { address: r.address, reason: String(r.reason ?? ''), time: Number(r.time) || 0 };
      if (tag) entry.tag = tag;
      entries.set(key, entry);
    } else if (r.op === 'remove') entries.delete(key);
  }
  return entries;
}
