// Per-account suppression lists: addresses that hard-bounced are not sent to again (SPEC §5).
// Durable as one append-only file per account, `<dir>/<account>.jsonl`, one JSON record per change, fsynced
// before add/remove resolve; replayed at open. A torn last line (crash mid-append) is ignored.
// Addresses compare with the domain case-insensitive and the local part exact (RFC 5321 §2.4).
import * as nodeFs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import stringify from 'fast-json-stable-stringify';
import { fsyncDirectory } from './durable-file.js';

export interface SuppressionEntry {
  /** The address as first added (original case). */
  address: string;
  /** Why: the upstream reply of the hard bounce, or an operator's note. */
  reason: string;
  /** When it was added, ms since the epoch. */
  time: number;
}

interface SuppressionRecord {
  op: 'add' | 'remove';
  address: string;
  reason?: string;
  time: number;
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

interface AccountList {
  entries: Map<string, SuppressionEntry>;
  file: FileHandle | null;
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
      let bytes = await nodeFs.readFile(path);
      if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) {
        // Cut a torn last record off, so the next append starts on a line of its own.
        bytes = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
        await nodeFs.truncate(path, bytes.length);
      }
      list.accounts.set(account, { entries: replay(bytes.toString('utf8')), file: null, chain: Promise.resolve() });
    }
    return list;
  }

  has(account: string, address: string): boolean {
    return this.accounts.get(account)?.entries.has(suppressionKey(address)) ?? false;
  }

  /** The entry that suppresses an address, or null. */
  get(account: string, address: string): SuppressionEntry | null {
    return this.accounts.get(account)?.entries.get(suppressionKey(address)) ?? null;
  }

  /** The account's suppressed addresses, oldest first. */
  list(account: string): SuppressionEntry[] {
    return [...(this.accounts.get(account)?.entries.values() ?? [])].sort((a, b) => a.time - b.time);
  }

  /** Suppresses an address (durable when the promise resolves). Adding one already listed keeps the first entry. */
  async add(account: string, address: string, reason: string, time: number = Date.now()): Promise<boolean> {
    const a = this.accountList(account);
    const key = suppressionKey(address);
    if (a.entries.has(key)) return false;
    a.entries.set(key, { address, reason, time });
    await this.append(account, a, { op: 'add', address, reason, time });
    return true;
  }

  /** Lifts a suppression; false when the address was not listed. */
  async remove(account: string, address: string, time: number = Date.now()): Promise<boolean> {
    const a = this.accounts.get(account);
    const key = suppressionKey(address);
    if (!a?.entries.has(key)) return false;
    a.entries.delete(key);
    await this.append(account, a, { op: 'remove', address, time });
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const a of this.accounts.values()) {
      await a.chain;
      await a.file?.close().catch(() => undefined);
      a.file = null;
    }
  }

  private accountList(account: string): AccountList {
    if (!isAccountId(account)) throw new SuppressionAccountError(account);
    let a = this.accounts.get(account);
    if (!a) {
      a = { entries: new Map(), file: null, chain: Promise.resolve() };
      this.accounts.set(account, a);
    }
    return a;
  }

  private append(account: string, a: AccountList, record: SuppressionRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('suppression list is closed'));
    const run = async (): Promise<void> => {
      if (!a.file) {
        const path = join(this.dir, account + SUFFIX);
        const created = !(await exists(path));
        a.file = await nodeFs.open(path, 'a', 0o600);
        if (created) await fsyncDirectory(this.dir);
      }
      const line = Buffer.from(stringify(record) + '\n', 'utf8');
      await a.file.write(line, 0, line.length, null);
      await a.file.datasync();
    };
    const p = a.chain.then(run);
    a.chain = p.catch(() => undefined);
    return p;
  }
}

function isAccountId(account: string): boolean {
  return ACCOUNT_PATTERN.test(account) && account !== '.' && account !== '..';
}

function replay(text: string): Map<string, SuppressionEntry> {
  const entries = new Map<string, SuppressionEntry>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let r: SuppressionRecord;
    try {
      r = JSON.parse(line) as SuppressionRecord;
    } catch {
      continue; // a torn last record
    }
    if (typeof r.address !== 'string') continue;
    const key = suppressionKey(r.address);
    if (r.op === 'add' && !entries.has(key)) entries.set(key, { address: r.address, reason: String(r.reason ?? ''), time: Number(r.time) || 0 });
    else if (r.op === 'remove') entries.delete(key);
  }
  return entries;
}

async function exists(path: string): Promise<boolean> {
  try {
    await nodeFs.stat(path);
    return true;
  } catch {
    return false;
  }
}
