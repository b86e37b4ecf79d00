// The distinct tags each account has used, bounded (SPEC §3: at most 400) so stats keep a bounded cardinality.
// Kept in <data>/tags/<account>.txt, one tag a line, so the bound survives restarts.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SmtpError } from '../../protocol/index.js';
import { UNTAGGED } from '../accept/policy.js';

export class TagRegistry {
  private readonly byAccount = new Map<string, Set<string>>();

  constructor(private readonly dir: string | null) {
    if (dir !== null) mkdirSync(dir, { recursive: true });
  }

  /** Admits `tag` for the account, or refuses a new tag past `max` with 554 5.6.0. */
  admit(accountId: string, tag: string, max: number): void {
    const tags = this.tagsOf(accountId);
    if (tags.has(tag) || tag === UNTAGGED) return;
    if (tags.size >= max) {
      throw new SmtpError(554, '5.6.0', `This account already uses ${max} distinct tags; reuse one of them`);
    }
    tags.add(tag);
    if (this.dir !== null) appendFileSync(this.fileOf(accountId), `${tag}\n`);
  }

  count(accountId: string): number {
    return this.tagsOf(accountId).size;
  }

  private tagsOf(accountId: string): Set<string> {
    let tags = this.byAccount.get(accountId);
    if (tags) return tags;
    tags = new Set();
    if (this.dir !== null) {
      try {
        for (const line of readFileSync(this.fileOf(accountId), 'utf8').split('\n')) if (line !== '') tags.add(line);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    this.byAccount.set(accountId, tags);
    return tags;
  }

  private fileOf(accountId: string): string {
    // Account ids match [A-Za-z0-9._-]{1,64} (config validation); encode anyway so no id can leave the folder.
    return join(this.dir!, `${encodeURIComponent(accountId)}.txt`);
  }
}
