// `"store": { "type": "local" }` (the default): the runtime state of one relay, durable in its data folder.
//   <data>/store/api-keys.jsonl, account-tokens.jsonl, templates.jsonl,
//                webhooks.jsonl                                         JournalMap files (append, fsync, compact)
//   <data>/suppression/<account>.jsonl                                  SuppressionList (as before the store)
//   <data>/tags/<account>.txt                                           TagRegistry (as before the store)
// Rate and quota counters are in memory (per relay, as before): a restart refills the buckets.
// No embedded database: the state is a few small maps read whole at start and written one record at a time,
// which append-only files do with an fsync each and no native build step (SQLite bindings need one on Node 20).
import { join } from 'node:path';
import { JournalMap } from '../storage/journal-map.js';
import { SuppressionList } from '../storage/suppression-list.js';
import { AccountLimits } from './account-limits.js';
import { CredentialCache, isStoredCredential } from './credential-cache.js';
import { TagRegistry } from './tag-registry.js';
import { isStoredTemplate, templateKey } from './template-check.js';
import { LocalWebhooks } from './local-webhooks.js';
import { isStoredWebhook } from './webhook-check.js';
import type { CredentialStore, RuntimeStore, StoreHealth, StoredCredential, StoredTemplate, TemplateStore } from './store.js';

/** Last-used times are written at most this often. */
const TOUCH_FLUSH_MS = 30_000;

class LocalCredentials implements CredentialStore {
  private readonly cache = new CredentialCache();

  constructor(private readonly journal: JournalMap<StoredCredential>) {
    for (const c of journal.values()) this.cache.set({ ...c });
  }

  async add(credential: StoredCredential): Promise<void> {
    const c = { ...credential };
    this.cache.set(c);
    try {
      await this.journal.put(credential.id, credential);
    } catch (e) {
      // Not durable, and the caller is told so: the key must not authenticate until a restart forgets it.
      if (this.cache.get(c.id) === c) this.cache.delete(c.id);
      throw e;
    }
  }

  list(account: string): StoredCredential[] {
    return this.cache.list(account);
  }

  async revoke(account: string, id: string): Promise<boolean> {
    const c = this.cache.get(id);
    if (!c || c.account !== account) return false;
    this.cache.delete(id);
    try {
      return await this.journal.delete(id);
    } catch (e) {
      // Not revoked on disk, and the caller is told so: keep what a restart would load.
      if (this.cache.get(id) === null) this.cache.set(c);
      throw e;
    }
  }

  find(hash: string, now: number): StoredCredential | null {
    return this.cache.find(hash, now);
  }

  touch(id: string, time: number): void {
    this.cache.touch(id, time);
  }

  /** Writes the batched last-used times. */
  flushTouched(): Promise<void> {
    const items: Array<[string, StoredCredential]> = [];
    for (const [id] of this.cache.drainTouched()) {
      const c = this.cache.get(id);
      if (c) items.push([id, { ...c }]);
    }
    return this.journal.putMany(items);
  }
}

class LocalTemplates implements TemplateStore {
  constructor(private readonly journal: JournalMap<StoredTemplate>) {}

  put(template: StoredTemplate): Promise<void> {
    return this.journal.put(templateKey(template.account, template.name), template);
  }

  get(account: string, name: string): StoredTemplate | null {
    return this.journal.get(templateKey(account, name)) ?? null;
  }

  list(account: string): StoredTemplate[] {
    const out: StoredTemplate[] = [];
    for (const t of this.journal.values()) if (t.account === account) out.push(t);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  delete(account: string, name: string): Promise<boolean> {
    return this.journal.delete(templateKey(account, name));
  }
}

export class LocalStore implements RuntimeStore {
  readonly type = 'local';
  private readonly timer: NodeJS.Timeout;

  private constructor(
    readonly apiKeys: LocalCredentials,
    readonly accountTokens: LocalCredentials,
    readonly templates: LocalTemplates,
    readonly suppressions: SuppressionList,
    readonly webhooks: LocalWebhooks,
    readonly limits: AccountLimits,
    readonly tags: TagRegistry,
    private readonly journals: Array<JournalMap<unknown>>,
    private lastError: string | null = null,
  ) {
    this.timer = setInterval(() => void this.flush(), TOUCH_FLUSH_MS);
    this.timer.unref();
  }

  static async open(dataDir: string): Promise<LocalStore> {
    const dir = join(dataDir, 'store');
    const keys = await JournalMap.open(join(dir, 'api-keys.jsonl'), isStoredCredential);
    const tokens = await JournalMap.open(join(dir, 'account-tokens.jsonl'), isStoredCredential);
    const templates = await JournalMap.open(join(dir, 'templates.jsonl'), isStoredTemplate);
    const webhooks = await JournalMap.open(join(dir, 'webhooks.jsonl'), isStoredWebhook);
    const suppressions = await SuppressionList.open(join(dataDir, 'suppression'));
    return new LocalStore(
      new LocalCredentials(keys),
      new LocalCredentials(tokens),
      new LocalTemplates(templates),
      suppressions,
      new LocalWebhooks(webhooks),
      new AccountLimits(),
      new TagRegistry(join(dataDir, 'tags')),
      [keys, tokens, templates, webhooks] as Array<JournalMap<unknown>>,
    );
  }

  health(): StoreHealth {
    return { up: true, pendingWrites: 0, lastError: this.lastError };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    for (const j of this.journals) await j.close();
    await this.suppressions.close();
  }

  private async flush(): Promise<void> {
    try {
      await this.apiKeys.flushTouched();
      await this.accountTokens.flushTouched();
    } catch (e) {
      // Last-used times are advisory: a failed write is logged through health(), never fatal.
      this.lastError = `last-used times not written: ${(e as Error).message}`;
    }
  }
}
